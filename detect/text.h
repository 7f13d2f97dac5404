/*
 * text.h: Unicode normalisation and tokens.
 *
 * Text is compared after NFKC-style compatibility decomposition and Unicode
 * case folding (utf8proc), so "Ｃａｆé", "CAFE\u0301" and "café" are the same
 * word. Pure functions: no I/O.
 */
#ifndef PROV_TEXT_H
#define PROV_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"

/*
 * The key under which a prompt is stored and matched: SHA-256 (hex) of the
 * prompt after NFKC, case folding, and collapsing every run of white space
 * to one space (leading and trailing space removed).
 * PROV_EDATA if the text is not valid UTF-8.
 */
int text_prompt_key(char out[PROV_SHA256_HEX], const char *s, size_t len);

#endif
