/* path.c - judging wheel paths, joining, creating and removing trees. */
#include "path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"

/* Length of the well-formed UTF-8 sequence at p (1 for ASCII), or 0 when it
 * is not one: stray continuation bytes, overlong forms, surrogates, code
 * points above U+10FFFF and sequences cut short by the end of the string. */
static size_t utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		unsigned lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		unsigned lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

void cinstall_path__quote(char *out, size_t cap, const char *path)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)path;

	if (!cap)
		return;
	while (*p && o + 5 < cap) {
		size_t n = utf8_seq(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p++);
		} else if (o + n + 5 < cap) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			break;
		}
	}
	out[o] = '\0';
}

static int refuse(cinstall_err *err, const char *wheel, const char *path, const char *rule)
{
	char q[512];

	cinstall_path__quote(q, sizeof(q), path);
	return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: '%s': %s", wheel, q, rule);
}

int cinstall_path__check(cinstall_err *err, const char *wheel, const char *path)
{
	const char *p, *comp;
	size_t len = strlen(path), clen;

	if (len == 0)
		return refuse(err, wheel, path, "empty path");
	if (len > CINSTALL_PATH_MAX)
		return refuse(err, wheel, path, "path is too long");
	if (path[0] == '/')
		return refuse(err, wheel, path, "absolute path");
	if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':')
		return refuse(err, wheel, path, "path starts with a drive letter");
	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		size_t n;
		if (c == '\\')
			return refuse(err, wheel, path, "backslash in path");
		if (c < 0x20 || c == 0x7f)
			return refuse(err, wheel, path, "control character in path");
		if (c < 0x80)
			continue;
		/* Wheels name their files in UTF-8 (RECORD is UTF-8, and so is
		   what Python's zipfile writes); other bytes would be read back
		   differently by every tool. */
		if (!(n = utf8_seq((const unsigned char *)p)))
			return refuse(err, wheel, path, "path is not valid UTF-8");
		p += n - 1;
	}
	comp = path;
	for (;;) {
		const char *slash = strchr(comp, '/');
		clen = slash ? (size_t)(slash - comp) : strlen(comp);
		if (clen == 0) {
			/* Only a single trailing '/' (a directory entry) may be empty. */
			if (!slash && comp != path && comp[-1] == '/' && (comp - 1 == path || comp[-2] != '/'))
				break;
			return refuse(err, wheel, path, "empty path component");
		}
		if (clen == 1 && comp[0] == '.')
			return refuse(err, wheel, path, "'.' component in path");
		if (clen == 2 && comp[0] == '.' && comp[1] == '.')
			return refuse(err, wheel, path, "'..' component in path");
		if (clen > CINSTALL_NAME_MAX)
			return refuse(err, wheel, path, "path component is too long");
		if (!slash)
			break;
		comp = slash + 1;
	}
	return 0;
}

int cinstall_path__join(cinstall_buf *out, const char *a, const char *b)
{
	size_t alen = strlen(a);

	cinstall_buf__truncate(out, 0);
	while (alen > 1 && a[alen - 1] == '/')
		alen--;
	while (*b == '/')
		b++;
	if (cinstall_buf__put(out, a, alen) < 0)
		return CINSTALL_ENOMEM;
	if (*b && !(alen == 1 && a[0] == '/') && cinstall_buf__putc(out, '/') < 0)
		return CINSTALL_ENOMEM;
	return cinstall_buf__puts(out, b);
}

int cinstall_path__mkdirs(cinstall_err *err, const char *path, mode_t mode)
{
	char buf[CINSTALL_PATH_MAX + 1];
	size_t len = strlen(path), i;
	struct stat st;

	if (len > CINSTALL_PATH_MAX)
		return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long", path);
	if (mkdir(path, mode) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	if (errno != ENOENT) {
		if (errno == EEXIST)
			errno = ENOTDIR;
		return cinstall_err__os(err, "cannot create directory '%s'", path);
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0) {
			if (errno != EEXIST || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
				if (errno == EEXIST)
					errno = ENOTDIR;
				return cinstall_err__os(err, "cannot create directory '%s'", buf);
			}
		}
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int rm_at(cinstall_err *err, int dfd, const char *name, const char *shown, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, error = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cinstall_err__os(err, "cannot remove '%s'", shown);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return cinstall_err__os(err, "cannot remove '%s'", shown);
		return 0;
	}
	if (depth > 256)
		return cinstall_err__set(err, CINSTALL_EIO, ELOOP, "cannot remove '%s': too deep", shown);
	fd = cinstall_sys__openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : cinstall_err__os(err, "cannot open '%s'", shown);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return cinstall_err__os(err, "cannot open '%s'", shown);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((error = rm_at(err, dirfd(d), de->d_name, shown, depth + 1)) < 0)
			break;
	}
	closedir(d);
	if (error < 0)
		return error;
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cinstall_err__os(err, "cannot remove '%s'", shown);
	return 0;
}

int cinstall_path__rmtree(cinstall_err *err, const char *path)
{
	return rm_at(err, AT_FDCWD, path, path, 0);
}

const char *cinstall_path__basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int cinstall_path__is_within(const char *root, const char *path)
{
	size_t rlen = strlen(root);

	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (strncmp(root, path, rlen))
		return 0;
	return path[rlen] == '\0' || path[rlen] == '/' || (rlen == 1 && root[0] == '/');
}
