/*
 * store_internal.h: for corpus/ files only. The SQLite handle behind a store.
 */
#ifndef PROV_STORE_INTERNAL_H
#define PROV_STORE_INTERNAL_H

#include <sqlite3.h>
#include "corpus/store.h"

sqlite3 *store_db(struct store *s);

#endif
