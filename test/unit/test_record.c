/* test_record.c - RECORD as Python's csv module reads and writes it. */
#include <stdlib.h>

#include "buf.h"
#include "harness.h"
#include "record.h"

static cinstall_record *parse_ok(const char *text)
{
	cinstall_record *r = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;

	if (cinstall_record__parse(&r, &err, "w.whl", text, strlen(text)) != 0)
		th_fail(__FILE__, __LINE__, "parse failed: %s", err.msg);
	return r;
}

static void test_record__plain_rows(void)
{
	cinstall_record *r = parse_ok("pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
	                              "pkg/mod.py,sha256=abc,12\n"
	                              "pkg-1.0.dist-info/RECORD,,\n");
	if (!r)
		return;
	CHECK_INT(r->n, 3);
	CHECK_STR(r->rows[0].path, "pkg/__init__.py");
	CHECK_STR(r->rows[0].hash, "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	CHECK_INT(r->rows[0].size, 0);
	CHECK_INT(r->rows[1].size, 12);
	CHECK(r->rows[2].hash == NULL);
	CHECK_INT(r->rows[2].size, -1);
	cinstall_record__free(r);
	cinstall_record__free(NULL);
}

static void test_record__quoting_commas_crlf(void)
{
	cinstall_record *r = parse_ok("\"pkg/a,b.txt\",sha256=x,1\r\n"
	                              "\"pkg/q\"\"uote.txt\",sha256=y,2\r\n"
	                              "\r\n"
	                              "\"pkg/multi\nline\",,\r\n"
	                              "pkg/last.py,sha256=z,3");
	if (!r)
		return;
	CHECK_INT(r->n, 4);
	CHECK_STR(r->rows[0].path, "pkg/a,b.txt");
	CHECK_STR(r->rows[1].path, "pkg/q\"uote.txt");
	CHECK_STR(r->rows[2].path, "pkg/multi\nline");
	CHECK_STR(r->rows[3].path, "pkg/last.py");
	CHECK_INT(r->rows[3].size, 3);
	cinstall_record__free(r);
}

static void test_record__cr_only_and_quoted_empty(void)
{
	cinstall_record *r = parse_ok("a.py,\"\",\"\"\rb.py,sha256=q,\"7\"\r");

	if (!r)
		return;
	CHECK_INT(r->n, 2);
	CHECK(r->rows[0].hash == NULL);
	CHECK_INT(r->rows[0].size, -1);
	CHECK_INT(r->rows[1].size, 7);
	cinstall_record__free(r);
}

static void test_record__malformed_names_the_line(void)
{
	static const struct { const char *text, *why; } cases[] = {
		{ "a.py,sha256=x,1,extra\n", "line 1: more than three fields" },
		{ "a.py,sha256=x,1\nb.py,sha256=y\n", "line 2: fewer than three fields" },
		{ "a.py,sha256=x,12a\n", "size is not a number" },
		{ "a.py,sha256=x,-1\n", "size is not a number" },
		{ "a.py,sha256x,1\n", "algorithm=digest" },
		{ "\"a.py,sha256=x,1\n", "unterminated quoted field" },
		{ ",sha256=x,1\n", "empty path" },
		{ "a.py,sha256=x,1,\n", "more than three fields" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cinstall_record *r = NULL;
		cinstall_err err = CINSTALL_ERR_INIT;
		CHECK_INT(cinstall_record__parse(&r, &err, "w.whl", cases[i].text, strlen(cases[i].text)), CINSTALL_ERECORD);
		CHECK(r == NULL);
		CHECK_CONTAINS(err.msg, "w.whl: RECORD line ");
		CHECK_CONTAINS(err.msg, cases[i].why);
	}
}

static void test_record__write_row_round_trips(void)
{
	static const char *const paths[] = { "pkg/plain.py", "pkg/a,b.txt", "pkg/q\"uote.txt", "pkg/cr\rlf\n.txt" };
	cinstall_buf b = CINSTALL_BUF_INIT;
	cinstall_record *r = NULL;
	size_t i;

	for (i = 0; i < 4; i++)
		CHECK_INT(cinstall_record__write_row(&b, paths[i], "sha256=abc", (int64_t)i), 0);
	CHECK_INT(cinstall_record__write_row(&b, "x.dist-info/RECORD", NULL, -1), 0);
	CHECK(strstr(b.ptr, "pkg/plain.py,sha256=abc,0\n") == b.ptr);
	{
		cinstall_buf big = CINSTALL_BUF_INIT;
		CHECK_INT(cinstall_record__write_row(&big, "a", "h", 10), 0);
		CHECK_INT(cinstall_record__write_row(&big, "b", "h", INT64_MAX), 0);
		CHECK_STR(big.ptr, "a,h,10\nb,h,9223372036854775807\n");
		cinstall_buf__release(&big);
	}
	CHECK_CONTAINS(b.ptr, "\"pkg/a,b.txt\",sha256=abc,1\n");
	CHECK_CONTAINS(b.ptr, "\"pkg/q\"\"uote.txt\",sha256=abc,2\n");
	CHECK_CONTAINS(b.ptr, "x.dist-info/RECORD,,\n");
	r = parse_ok(b.ptr);
	if (r) {
		CHECK_INT(r->n, 5);
		for (i = 0; i < 4 && i < r->n; i++) {
			CHECK_STR(r->rows[i].path, paths[i]);
			CHECK_INT(r->rows[i].size, (int64_t)i);
		}
	}
	cinstall_record__free(r);
	cinstall_buf__release(&b);
}

/* Rows as "path|hash|size|line\n", RECORD fed `step` bytes at a time. */
static int collect(const char *path, const char *hash, int64_t size, size_t line, void *payload)
{
	return cinstall_buf__printf(payload, "%s|%s|%lld|%zu\n", path, hash ? hash : "-", (long long)size, line) < 0
	               ? CINSTALL_ENOMEM
	               : 0;
}

static int feed_in_steps(cinstall_buf *out, cinstall_err *err, const char *text, size_t step)
{
	cinstall_record_reader rd;
	size_t len = strlen(text), i;
	int error = 0;

	cinstall_record__reader_init(&rd, err, "w.whl", collect, out);
	for (i = 0; i < len && !error; i += step)
		error = cinstall_record__reader_feed(&rd, text + i, len - i < step ? len - i : step);
	if (!error)
		error = cinstall_record__reader_end(&rd);
	cinstall_record__reader_release(&rd);
	return error;
}

/* The streaming reader gives the same rows, lines and errors however
 * RECORD is cut into pieces (a quote, a CR LF or a row across a cut). */
static void test_record__reader_any_pieces(void)
{
	static const char *const texts[] = {
		"\"pkg/a,b.txt\",sha256=x,1\r\n\"pkg/q\"\"uote.txt\",sha256=y,2\r\n\r\n\"pkg/multi\nline\",,\r\npkg/last.py,sha256=z,3",
		"a.py,\"\",\"\"\rb.py,sha256=q,\"7\"\r",
		"a.py,sha256=x,1\n\n\nb.py,sha256=y,\nc.py,,\n",
		"\"ab\"cd,h=1,2\n\"x\"\"\",h=2,3\r\n",
		"a.py,sha256=x,1\nb.py,sha256=y\n",
		"a.py,sha256=x,1\n\"b\nc,sha256=x,1\n",
		"a.py,sha256=x,1\nb.py,sha256=x,1,\n",
		"a.py,h=1,",
		"a.py,h=1,2,",
	};
	size_t i, step;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cinstall_buf whole = CINSTALL_BUF_INIT;
		cinstall_err err = CINSTALL_ERR_INIT;
		char msg[sizeof(err.msg)];
		int code = feed_in_steps(&whole, &err, texts[i], strlen(texts[i]) + 1);

		snprintf(msg, sizeof(msg), "%s", err.msg);
		for (step = 1; step < 8; step++) {
			cinstall_buf got = CINSTALL_BUF_INIT;
			cinstall_err e2 = CINSTALL_ERR_INIT;
			CHECK_INT(feed_in_steps(&got, &e2, texts[i], step), code);
			CHECK_STR(cinstall_buf__cstr(&got), cinstall_buf__cstr(&whole));
			CHECK_STR(e2.msg, msg);
			cinstall_buf__release(&got);
		}
		cinstall_buf__release(&whole);
	}
	{
		cinstall_buf got = CINSTALL_BUF_INIT;
		cinstall_err err = CINSTALL_ERR_INIT;
		CHECK_INT(feed_in_steps(&got, &err, texts[0], 3), 0);
		CHECK_STR(cinstall_buf__cstr(&got), "pkg/a,b.txt|sha256=x|1|1\npkg/q\"uote.txt|sha256=y|2|2\n"
		                                   "pkg/multi\nline|-|-1|4\npkg/last.py|sha256=z|3|6\n");
		cinstall_buf__release(&got);
		CHECK_INT(feed_in_steps(&got, &err, texts[5], 2), CINSTALL_ERECORD);
		CHECK_CONTAINS(err.msg, "w.whl: RECORD line 2: unterminated quoted field");
		cinstall_buf__release(&got);
	}
}

/* The writer agrees with Python's csv module byte for byte. */
static void test_record__matches_python_csv(void)
{
	static const char script[] =
		"import csv,sys\n"
		"w=csv.writer(sys.stdout,lineterminator='\\n')\n"
		"for p in ['pkg/plain.py','pkg/a,b.txt','pkg/q\"uote.txt','pkg/sp ace.txt']:\n"
		"    w.writerow([p,'sha256=abc',5])\n"
		"w.writerow(['x.dist-info/RECORD','',''])\n";
	static const char *const paths[] = { "pkg/plain.py", "pkg/a,b.txt", "pkg/q\"uote.txt", "pkg/sp ace.txt" };
	cinstall_buf b = CINSTALL_BUF_INIT;
	char cmd[1024], got[4096];
	const char *py = getenv("PYTHON");
	FILE *f;
	size_t n, i;

	if (!py || !*py)
		py = "/usr/bin/python3";
	f = fopen("gen.py", "w");
	if (!f) {
		th_fail(__FILE__, __LINE__, "cannot write gen.py");
		return;
	}
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s gen.py", py);
	if (!(f = popen(cmd, "r"))) {
		th_skip("cannot run %s", py);
		return;
	}
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	if (pclose(f) != 0) {
		th_skip("%s failed", py);
		return;
	}
	for (i = 0; i < 4; i++)
		cinstall_record__write_row(&b, paths[i], "sha256=abc", 5);
	cinstall_record__write_row(&b, "x.dist-info/RECORD", NULL, -1);
	CHECK_STR(b.ptr, got);
	cinstall_buf__release(&b);
}

static const cinstall_test tests[] = {
	TEST(test_record__plain_rows),
	TEST(test_record__quoting_commas_crlf),
	TEST(test_record__cr_only_and_quoted_empty),
	TEST(test_record__malformed_names_the_line),
	TEST(test_record__reader_any_pieces),
	TEST(test_record__write_row_round_trips),
	TEST(test_record__matches_python_csv),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
