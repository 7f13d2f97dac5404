/* Unit tests for detect/util.c: error slot, capped buffer, hashing. */
#include "unit.h"
#include "detect/util.h"

static void error_slot_keeps_code_and_message(void)
{
	prov_error_clear();
	CHECK_INT(prov_error_code(), 0);
	CHECK_STR(prov_error_msg(), "");
	CHECK_INT(prov_error(PROV_EDATA, "%s:%d: bad", "f.jsonl", 3), PROV_EDATA);
	CHECK_INT(prov_error_code(), PROV_EDATA);
	CHECK_STR(prov_error_msg(), "f.jsonl:3: bad");
}

static void pbuf_appends_and_formats(void)
{
	struct pbuf b = PBUF_INIT(0);
	char *p;
	size_t n;

	CHECK_INT(pbuf_adds(&b, "ab"), 0);
	CHECK_INT(pbuf_addc(&b, 'c'), 0);
	CHECK_INT(pbuf_addf(&b, "-%d-%s", 42, "x"), 0);
	CHECK_STR(b.data, "abc-42-x");
	CHECK_INT(b.len, 8);
	pbuf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	pbuf_adds(&b, "keep");
	p = pbuf_detach(&b, &n);
	CHECK_STR(p, "keep");
	CHECK_INT(n, 4);
	CHECK(b.data == NULL);
	free(p);
	p = pbuf_detach(&b, &n);   /* detaching an empty buffer gives "" */
	CHECK_STR(p, "");
	free(p);
	pbuf_release(&b);
	pbuf_release(NULL);
}

static void pbuf_refuses_to_grow_past_its_cap(void)
{
	struct pbuf b = PBUF_INIT(8);

	CHECK_INT(pbuf_adds(&b, "12345678"), 0);
	CHECK_INT(pbuf_addc(&b, '9'), PROV_EDATA);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	pbuf_release(&b);
}

static void sha256_known_vectors(void)
{
	char hex[PROV_SHA256_HEX];
	struct prov_sha256 *h = NULL;

	CHECK_INT(prov_sha256_hex(hex, "", 0), 0);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_INT(prov_sha256_hex(hex, "abc", 3), 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* incremental == one-shot, and the context restarts after final */
	CHECK_INT(prov_sha256_new(&h), 0);
	prov_sha256_update(h, "a", 1);
	prov_sha256_update(h, "bc", 2);
	CHECK_INT(prov_sha256_final(h, hex), 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	prov_sha256_update(h, "abc", 3);
	prov_sha256_final(h, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	prov_sha256_free(h);
	prov_sha256_free(NULL);
}

static void hash64_depends_on_bytes_and_seed(void)
{
	CHECK(prov_hash64("abc", 3, 0) == prov_hash64("abc", 3, 0));
	CHECK(prov_hash64("abc", 3, 0) != prov_hash64("abd", 3, 0));
	CHECK(prov_hash64("abc", 3, 0) != prov_hash64("abc", 3, 1));
}

static void reallocarray_detects_overflow(void)
{
	void *p = prov_reallocarray(NULL, SIZE_MAX / 2, 4);

	CHECK(p == NULL);
	CHECK_INT(prov_error_code(), PROV_ENOMEM);
}

static void grow_doubles_keeps_and_fails_cleanly(void)
{
	int *v = NULL;
	size_t cap = 0, n;

	CHECK_INT(prov_grow(&v, &cap, 0, sizeof(*v), 4), 0);   /* empty: the first allocation */
	CHECK_INT(cap, 4);
	for (n = 0; n < 9; n++) {
		CHECK_INT(prov_grow(&v, &cap, n, sizeof(*v), 4), 0);
		v[n] = (int)n * 10;
	}
	CHECK_INT(cap, 16);                                     /* 4 -> 8 -> 16, only when full */
	CHECK_INT(prov_grow(&v, &cap, 9, sizeof(*v), 4), 0);
	CHECK_INT(cap, 16);                                     /* room left: nothing happens */
	for (n = 0; n < 9; n++)
		CHECK_INT(v[n], (int)n * 10);                   /* what was stored survives the moves */
	cap = SIZE_MAX / 2;                                     /* doubling would overflow */
	CHECK_INT(prov_grow(&v, &cap, cap, sizeof(*v), 4), PROV_ENOMEM);
	CHECK(cap == SIZE_MAX / 2 && v != NULL);                /* untouched */
	free(v);
}

UNIT_MAIN(
	UNIT_TEST(error_slot_keeps_code_and_message),
	UNIT_TEST(pbuf_appends_and_formats),
	UNIT_TEST(pbuf_refuses_to_grow_past_its_cap),
	UNIT_TEST(sha256_known_vectors),
	UNIT_TEST(hash64_depends_on_bytes_and_seed),
	UNIT_TEST(reallocarray_detects_overflow),
	UNIT_TEST(grow_doubles_keeps_and_fails_cleanly)
)
