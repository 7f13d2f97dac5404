/* Unit tests for detect/text.c. */
#include "unit.h"
#include "detect/text.h"

static void key_of(char out[PROV_SHA256_HEX], const char *s)
{
	CHECK_INT(text_prompt_key(out, s, strlen(s)), 0);
}

static void prompt_key_ignores_case_width_and_spacing(void)
{
	char a[PROV_SHA256_HEX], b[PROV_SHA256_HEX];

	key_of(a, "Hello World");
	key_of(b, "  hello\n\tWORLD ");
	CHECK_STR(a, b);
	key_of(b, "\xef\xbc\xa8\xef\xbd\x85llo world");   /* fullwidth "Ｈｅ" */
	CHECK_STR(a, b);
	key_of(b, "Hello\xc2\xa0World");                  /* no-break space */
	CHECK_STR(a, b);
	key_of(b, "Hello Worlds");
	CHECK(strcmp(a, b) != 0);
}

static void prompt_key_composes_accents(void)
{
	char a[PROV_SHA256_HEX], b[PROV_SHA256_HEX];

	key_of(a, "caf\xc3\xa9");    /* precomposed é */
	key_of(b, "CAFE\xcc\x81");   /* E + combining acute */
	CHECK_STR(a, b);
	key_of(b, "cafe");
	CHECK(strcmp(a, b) != 0);
}

static void prompt_key_rejects_invalid_utf8(void)
{
	char a[PROV_SHA256_HEX];

	CHECK_INT(text_prompt_key(a, "ab\xff", 3), PROV_EDATA);
}

UNIT_MAIN(
	UNIT_TEST(prompt_key_ignores_case_width_and_spacing),
	UNIT_TEST(prompt_key_composes_accents),
	UNIT_TEST(prompt_key_rejects_invalid_utf8)
)
