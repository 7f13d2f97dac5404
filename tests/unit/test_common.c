/* test_common.c: cmd/common.c: names, terminal-safe text, exit codes. */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "cmd/cmd.h"

static void names_count_characters_not_bytes(void)
{
	char buf[1024];
	size_t i;

	CHECK(cmd_valid_name("gpt-4"));
	CHECK(!cmd_valid_name(""));
	/* 200 two-byte characters (400 bytes) are a valid name; 201 are not */
	for (i = 0; i < 200; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	buf[400] = '\0';
	CHECK(cmd_valid_name(buf));
	buf[400] = 'x';
	buf[401] = '\0';
	CHECK(!cmd_valid_name(buf));
	CHECK(!cmd_valid_name("evil\x1b[2J"));
	CHECK(!cmd_valid_name("tab\there"));
	CHECK(!cmd_valid_name("c1\xc2\x9b" "31m"));           /* U+009B, the 8-bit CSI */
	CHECK(!cmd_valid_name("abc\xe2\x80\xae" "cba"));      /* U+202E RIGHT-TO-LEFT OVERRIDE */
	CHECK(!cmd_valid_name("iso\xe2\x81\xa6" "x"));        /* U+2066 LEFT-TO-RIGHT ISOLATE */
	CHECK(!cmd_valid_name("bad\xff"));                    /* not UTF-8 */
	CHECK(cmd_valid_name("Mistral-7B \xe6\xa8\xa1\xe5\x9e\x8b"));
}

static void escaping_leaves_no_control_or_bidi_character(void)
{
	CHECK_STR(cmd_esc("plain name"), "plain name");
	CHECK_STR(cmd_esc("\x1b[31mred"), "\\x1b[31mred");
	CHECK_STR(cmd_esc("a\xe2\x80\xae" "b"), "a[U+202E]b");
	CHECK_STR(cmd_esc("c\xc2\x9b" "d"), "c[U+009B]d");
	CHECK_STR(cmd_esc("bell\a"), "bell\\x07");
	CHECK_STR(cmd_esc("bad\xff"), "bad\\xff");
	CHECK_STR(cmd_esc("two\nlines"), "two\\x0alines");
	CHECK_STR(cmd_esc_keep("two\nlines\x1b", "\n"), "two\nlines\\x1b");
	CHECK_STR(cmd_esc("caf\xc3\xa9"), "caf\xc3\xa9");
	CHECK_STR(cmd_esc(NULL), "(null)");
}

static void escaping_buffers_survive_several_calls(void)
{
	const char *a = cmd_esc("first"), *b = cmd_esc("second\x01");

	CHECK_STR(a, "first");
	CHECK_STR(b, "second\\x01");
}

static int mkdir_sub(const char *dir)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/sub", dir);
	return mkdir(p, 0700);
}

static void output_paths_never_name_the_database(void)
{
	char dir[] = "/tmp/prov-unit-common.XXXXXX", db[128], link[128], other[128], wal[128], rel[160];
	FILE *fp;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/e.db", dir);
	snprintf(link, sizeof(link), "%s/link.db", dir);
	snprintf(other, sizeof(other), "%s/report.md", dir);
	snprintf(wal, sizeof(wal), "%s/e.db-wal", dir);
	snprintf(rel, sizeof(rel), "%s/./sub/../e.db-shm", dir);
	fp = fopen(db, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);
	CHECK(symlink(db, link) == 0);
	CHECK_INT(cmd_check_output(db, db), PROV_EUSAGE);
	CHECK(strstr(prov_error_msg(), "is the evidence database") != NULL);
	CHECK_INT(cmd_check_output(link, db), PROV_EUSAGE);      /* the same inode */
	CHECK_INT(cmd_check_output(wal, db), PROV_EUSAGE);       /* missing: by resolved path */
	CHECK_INT(cmd_check_output(other, db), 0);
	CHECK_INT(cmd_check_output("-", db), 0);
	CHECK_INT(cmd_check_output(NULL, db), 0);
	/* a resolved path names the absolute folder */
	CHECK(cmd_resolved("no-such-file.json")[0] == '/');
	CHECK_STR(cmd_resolved("/no-such-folder-x/y"), "/no-such-folder-x/y");
	CHECK_STR(cmd_resolved("/tmp/../no-such-file-y"), "/no-such-file-y");
	CHECK_INT(mkdir_sub(dir), 0);
	CHECK_INT(cmd_check_output(rel, db), PROV_EUSAGE);       /* ./ and .. resolved */
	unlink(link);
	unlink(db);
	snprintf(other, sizeof(other), "%s/sub", dir);
	rmdir(other);
	rmdir(dir);
}

static void exit_codes_are_distinct(void)
{
	CHECK_INT(cmd_exit_for(PROV_ENOMEM), EXIT_NOMEM);
	CHECK_INT(cmd_exit_for(PROV_ETAMPER), EXIT_TAMPERED);
	CHECK_INT(cmd_exit_for(PROV_ENOTFOUND), EXIT_NOTFOUND);
	CHECK_INT(cmd_exit_for(PROV_EINTERNAL), EXIT_INTERNAL);
	CHECK(EXIT_CHANGED != EXIT_TAMPERED && EXIT_CHANGED != EXIT_OK && EXIT_NOMEM != EXIT_INTERNAL);
}

UNIT_MAIN(
	UNIT_TEST(names_count_characters_not_bytes),
	UNIT_TEST(escaping_leaves_no_control_or_bidi_character),
	UNIT_TEST(escaping_buffers_survive_several_calls),
	UNIT_TEST(exit_codes_are_distinct),
	UNIT_TEST(output_paths_never_name_the_database)
)
