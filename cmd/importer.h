/*
 * importer.h: the import pipeline. The calling thread reads records (JSON
 * parsing) and writes them to the store in file order; worker threads
 * compute, in between, what each record needs (prompt key, engine features,
 * compressed text, SHA-256). The store's content does not depend on the
 * number of threads.
 */
#ifndef PROV_IMPORTER_H
#define PROV_IMPORTER_H

#include "corpus/jsonl.h"
#include "corpus/store.h"
#include "detect/patterns.h"

struct import_job {
	const char *model;        /* --model, or NULL: the line's model */
	const char *family, *role;
	const struct pat_lib *lib;
	const char *fver;
	int threads;              /* worker threads, >= 1 */
	struct progress *pg;      /* may be NULL */
};

/*
 * Import every record of the open reader r into the open import of st
 * (between store_import_begin and store_import_commit). 0, or the first
 * error in file order (the caller rolls back).
 */
int import_records(struct store *st, struct jl_reader *r, const struct import_job *job,
	struct store_import_stats *stats);

#endif
