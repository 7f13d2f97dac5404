/*
 * store_internal.h: for corpus/ files only. The SQLite handle behind a store.
 */
#ifndef PROV_STORE_INTERNAL_H
#define PROV_STORE_INTERNAL_H

#include <sqlite3.h>
#include "corpus/store.h"

sqlite3 *store_db(struct store *s);

/* The signing key cases.c uses for cases appended through this handle (opaque here). */
void store_set_signer(struct store *s, const void *signer);
const void *store_signer(const struct store *s);
int store_is_readonly(const struct store *s);
/* The schema version of the open file (a read-only open of schema 4 stays at 4). */
int store_version(const struct store *s);

#endif
