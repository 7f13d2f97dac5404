/*
 * text.c: normalisation and tokenisation.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "detect/text.h"

static int is_space_cp(utf8proc_int32_t cp)
{
	utf8proc_category_t c;

	if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
		return 1;
	if (cp < 0x80)
		return 0;
	c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

int text_prompt_key(char out[PROV_SHA256_HEX], const char *s, size_t len)
{
	utf8proc_uint8_t *norm = NULL;
	utf8proc_ssize_t n, i = 0;
	struct pbuf b = PBUF_INIT(0);
	int rc, pending_space = 0;

	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &norm,
		UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (n < 0)
		return prov_error(PROV_EDATA, "prompt: %s", utf8proc_errmsg(n));
	rc = pbuf_grow(&b, (size_t)n);
	while (!rc && i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(norm + i, n - i, &cp);

		if (k <= 0) {
			rc = prov_error(PROV_EINTERNAL, "utf8proc produced invalid UTF-8");
			break;
		}
		if (is_space_cp(cp)) {
			pending_space = b.len > 0;
		} else {
			if (pending_space)
				rc = pbuf_addc(&b, ' ');
			pending_space = 0;
			if (!rc)
				rc = pbuf_add(&b, norm + i, (size_t)k);
		}
		i += k;
	}
	if (!rc)
		rc = prov_sha256_hex(out, b.data ? b.data : "", b.len);
	pbuf_release(&b);
	free(norm);
	return rc;
}
