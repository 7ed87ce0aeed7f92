/* digests.c - digests of generated files, kept beside a cache entry (digests.h). */
#include "digests.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "link.h"
#include "sys.h"

static const char header[] = "cinstall-digests 1\n";

static int push(cinstall_digests *d, const cinstall_digest_item *it)
{
	if (d->n == d->cap) {
		size_t ncap = d->cap ? 2 * d->cap : 8;
		cinstall_digest_item *p = realloc(d->items, ncap * sizeof(*p));
		if (!p)
			return CINSTALL_ENOMEM;
		d->items = p;
		d->cap = ncap;
	}
	d->items[d->n++] = *it;
	return 0;
}

static int is_b64_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The last line: "end " and the XXH3-128 of every byte above it. */
#define END_LEN (4 + CINSTALL_XXH_HEX - 1 + 1)

/* Parse `text` (NUL-terminated after `len` bytes) into items; -1 when malformed. */
static int parse(cinstall_digests *d, const char *text, size_t len)
{
	const char *p = text, *end;
	char sum[CINSTALL_XXH_HEX];

	if (len < sizeof(header) - 1 + END_LEN || memcmp(p, header, sizeof(header) - 1))
		return -1;
	end = text + len - END_LEN;
	cinstall_xxh__hex(sum, text, (size_t)(end - text));
	if (memcmp(end, "end ", 4) || memcmp(end + 4, sum, CINSTALL_XXH_HEX - 1) || end[END_LEN - 1] != '\n')
		return -1;
	p += sizeof(header) - 1;
	while (p < end) {
		cinstall_digest_item it;
		size_t size = 0;
		int i, digits = 0;

		while (p < end && *p >= '0' && *p <= '9' && digits < 6) {
			size = size * 10 + (size_t)(*p++ - '0');
			digits++;
		}
		if (!digits || size > CINSTALL_DIGESTS_ITEM_MAX || end - p < 46 || *p++ != ' ')
			return -1;
		for (i = 0; i < 43; i++) {
			if (!is_b64_digit(p[i]))
				return -1;
			it.b64[i] = p[i];
		}
		it.b64[43] = '\0';
		p += 43;
		if (*p++ != '\n' || (size_t)(end - p) < size + 1 || p[size] != '\n')
			return -1;
		it.data = (const unsigned char *)p;
		it.own = NULL;
		it.len = size;
		it.used = 0;
		if (push(d, &it) < 0)
			return CINSTALL_ENOMEM;
		p += size + 1;
	}
	return 0;
}

int cinstall_digests__load(cinstall_digests *d, const char *entry)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t got;
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/DIGESTS", entry) >= sizeof(path))
		return 0;
	if ((fd = cinstall_sys__open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CINSTALL_DIGESTS_FILE_MAX) {
		close(fd);
		return -1;
	}
	if (!(d->text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return CINSTALL_ENOMEM;
	}
	got = cinstall_sys__read_full(fd, d->text, (size_t)st.st_size);
	close(fd);
	if (got != (ssize_t)st.st_size)
		r = -1;
	else {
		d->text[got] = '\0';
		r = parse(d, d->text, (size_t)got);
	}
	if (r < 0) {
		/* Nothing of a malformed file is used. */
		d->n = 0;
		free(d->text);
		d->text = NULL;
	}
	return r;
}

const char *cinstall_digests__find(cinstall_digests *d, const void *data, size_t len)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		cinstall_digest_item *it = &d->items[i];
		if (it->len == len && !memcmp(it->data, data, len)) {
			it->used = 1;
			return it->b64;
		}
	}
	return NULL;
}

int cinstall_digests__add(cinstall_digests *d, const void *data, size_t len, const char *b64)
{
	cinstall_digest_item it;

	if (len > CINSTALL_DIGESTS_ITEM_MAX || strlen(b64) != 43)
		return 0;
	if (!(it.own = malloc(len ? len : 1)))
		return CINSTALL_ENOMEM;
	memcpy(it.own, data, len);
	it.data = it.own;
	it.len = len;
	memcpy(it.b64, b64, 44);
	it.used = 1;
	if (push(d, &it) < 0) {
		free(it.own);
		return CINSTALL_ENOMEM;
	}
	d->changed = 1;
	return 0;
}

static int put_item(cinstall_buf *b, const cinstall_digest_item *it)
{
	if (b->len + it->len + 64 + END_LEN > CINSTALL_DIGESTS_FILE_MAX)
		return 1;
	if (cinstall_buf__printf(b, "%zu %s\n", it->len, it->b64) < 0 ||
	    cinstall_buf__put(b, (const char *)it->data, it->len) < 0 || cinstall_buf__putc(b, '\n') < 0)
		return -1;
	return 0;
}

void cinstall_digests__save(cinstall_digests *d, const char *entry)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t i;
	char sum[CINSTALL_XXH_HEX];
	int pass, fd;

	if (!d->changed)
		return;
	if ((size_t)snprintf(path, sizeof(path), "%s/DIGESTS", entry) >= sizeof(path) ||
	    cinstall_link__tmpname(tmp, sizeof(tmp), path) < 0 || cinstall_buf__puts(&b, header) < 0)
		goto done;
	/* This install's items first: when the file is full, the oldest go. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->n; i++) {
			int r;
			if (d->items[i].used != !pass)
				continue;
			if ((r = put_item(&b, &d->items[i])) < 0)
				goto done;
			if (r > 0)
				break;
		}
	}
	cinstall_xxh__hex(sum, b.ptr, b.len);
	if (cinstall_buf__printf(&b, "end %s\n", sum) < 0)
		goto done;
	if ((fd = cinstall_sys__open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0)
		goto done;
	if (cinstall_sys__write_all(fd, b.ptr, b.len) < 0) {
		close(fd);
		unlink(tmp);
		goto done;
	}
	if (cinstall_sys__close(fd) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
	else
		d->changed = 0;
done:
	cinstall_buf__release(&b);
}

void cinstall_digests__release(cinstall_digests *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->items[i].own);
	free(d->items);
	free(d->text);
	memset(d, 0, sizeof(*d));
}
