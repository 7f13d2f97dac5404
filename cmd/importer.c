/*
 * importer.c: the import pipeline (see importer.h).
 *
 * Records go through a ring of NSLOT batches. The main thread fills a batch
 * (copying the strings out of the reader), marks it filled, and inserts the
 * oldest batch once the workers have processed it; workers take chunks of
 * records from the oldest filled batch. A batch is owned by the main thread
 * when EMPTY, by the workers while FILLED, and again by the main thread when
 * DONE; the state changes under the mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/importer.h"
#include "corpus/zpack.h"
#include "detect/features.h"
#include "detect/text.h"

#define NSLOT 4
#define BATCH 256
#define CHUNK 16
#define MAX_THREADS 64

enum { EMPTY, FILLED, DONE };

struct irec {
	long line;
	struct pbuf id, prompt, response, model;
	int has_id, has_model;
	/* computed by the workers */
	int rc;
	char err[256];
	char key[PROV_SHA256_HEX];
	char sha[PROV_SHA256_HEX];
	struct pbuf blob, z;
};

struct slot {
	struct irec rec[BATCH];
	size_t n, next, done;
	int state;
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t work, finished;
	struct slot slot[NSLOT];
	size_t oldest;            /* index of the oldest batch not yet inserted */
	size_t filled;            /* batches filled so far */
	int stop;
	const struct import_job *job;
};

static void compute(struct irec *r, const struct import_job *job, struct zpacker *zp)
{
	struct feat ft;

	memset(&ft, 0, sizeof(ft));
	r->rc = text_prompt_key(r->key, r->prompt.data, r->prompt.len);
	if (!r->rc)
		r->rc = feat_compute(&ft, r->response.data, r->response.len, job->lib, NULL);
	if (!r->rc)
		r->rc = feat_encode(&r->blob, &ft);
	if (!r->rc)
		r->rc = zpacker_pack(zp, &r->z, r->response.data, r->response.len);
	if (!r->rc)
		r->rc = prov_sha256_hex(r->sha, r->response.data, r->response.len);
	if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s", prov_error_msg());
	feat_release(&ft);
}

static void *worker(void *arg)
{
	struct pipe *p = arg;
	struct zpacker *zp = NULL;
	int zrc = zpacker_new(&zp, ZPACK_LEVEL);

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = NULL;
		size_t k, from, to;

		for (k = 0; k < NSLOT && !s; k++) {
			struct slot *c = &p->slot[(p->oldest + k) % NSLOT];

			if (c->state == FILLED && c->next < c->n)
				s = c;
		}
		if (!s) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		from = s->next;
		to = from + CHUNK < s->n ? from + CHUNK : s->n;
		s->next = to;
		pthread_mutex_unlock(&p->mu);
		for (k = from; k < to; k++) {
			if (zrc) {
				s->rec[k].rc = zrc;
				snprintf(s->rec[k].err, sizeof(s->rec[k].err), "cannot start a compressor");
			} else {
				compute(&s->rec[k], p->job, zp);
			}
		}
		pthread_mutex_lock(&p->mu);
		s->done += to - from;
		if (s->done == s->n) {
			s->state = DONE;
			pthread_cond_broadcast(&p->finished);
		}
	}
	pthread_mutex_unlock(&p->mu);
	zpacker_free(zp);
	return NULL;
}

/* Insert a processed batch in order; the first error stops it. */
static int insert_batch(struct store *st, struct slot *s, const struct import_job *job, const char *path,
	struct store_import_stats *stats)
{
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++) {
		struct irec *r = &s->rec[i];
		struct store_item it;

		if (r->rc)
			return prov_error(r->rc, "%s:%ld: %s", path, r->line, r->err);
		memset(&it, 0, sizeof(it));
		it.model = job->model ? job->model : r->has_model ? r->model.data : NULL;
		if (!it.model)
			return prov_error(PROV_EDATA, "%s:%ld: no model name (give --model NAME or a \"model\" field)",
				path, r->line);
		if (!cmd_valid_name(it.model))
			return prov_error(PROV_EDATA, "%s:%ld: model name must be 1 to %d printable characters", path,
				r->line, CMD_MAX_NAME);
		it.family = job->family;
		it.role = job->role;
		it.prompt = r->prompt.data;
		it.prompt_len = r->prompt.len;
		it.prompt_key = r->key;
		it.ext_id = r->has_id ? r->id.data : NULL;
		it.response = r->response.data;
		it.response_len = r->response.len;
		it.response_z = r->z.data;
		it.response_zlen = r->z.len;
		it.response_sha256 = r->sha;
		it.line = r->line;
		it.features = r->blob.data;
		it.features_len = r->blob.len;
		it.features_version = job->fver;
		if ((rc = store_import_add(st, &it, stats)))
			return rc;
	}
	return 0;
}

static int copy_in(struct pbuf *b, const char *s, size_t len)
{
	pbuf_reset(b);
	return pbuf_add(b, s ? s : "", s ? len : 0);
}

/*
 * Wait for the oldest batch, insert it (unless `discard`: after an error
 * nothing more may reach the store, whose transaction SQLite may already have
 * rolled back, e.g. on SQLITE_FULL), free its slot.
 */
static int drain_oldest(struct pipe *p, struct store *st, const char *path, struct store_import_stats *stats,
	int discard)
{
	struct slot *s = &p->slot[p->oldest % NSLOT];
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (s->state != DONE)
		pthread_cond_wait(&p->finished, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (!discard)
		rc = insert_batch(st, s, p->job, path, stats);
	pthread_mutex_lock(&p->mu);
	s->state = EMPTY;
	s->n = s->next = s->done = 0;
	p->oldest++;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int import_records(struct store *st, struct jl_reader *r, const struct import_job *job,
	struct store_import_stats *stats)
{
	struct pipe *p;
	pthread_t th[MAX_THREADS];
	int nth = job->threads < 1 ? 1 : job->threads > MAX_THREADS ? MAX_THREADS : job->threads;
	int started = 0, rc = 0, got = 1, perr = 0, i;
	char pmsg[1024] = "";
	size_t k, j;

	p = prov_calloc(1, sizeof(*p));
	if (!p)
		return PROV_ENOMEM;
	for (k = 0; k < NSLOT; k++)
		for (j = 0; j < BATCH; j++) {
			struct irec *q = &p->slot[k].rec[j];

			pbuf_init(&q->id, 0);
			pbuf_init(&q->prompt, 0);
			pbuf_init(&q->response, 0);
			pbuf_init(&q->model, 0);
			pbuf_init(&q->blob, 0);
			pbuf_init(&q->z, 0);
		}
	p->job = job;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->finished, NULL);
	for (i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, worker, p) != 0) {
			rc = prov_error(PROV_EINTERNAL, "cannot start an import thread");
			break;
		}
		started++;
	}
	while (!rc && got == 1) {
		struct slot *s;
		struct jl_record rec;

		if (p->filled - p->oldest == NSLOT && (rc = drain_oldest(p, st, jl_path(r), stats, 0)))
			break;
		s = &p->slot[p->filled % NSLOT];
		while (s->n < BATCH && (got = jl_next(r, &rec)) == 1) {
			struct irec *q = &s->rec[s->n];

			if (rec.no_prompt) {   /* a chat.completion or Batch API line that kept no prompt */
				got = prov_error(PROV_EDATA, "%s:%ld: the line holds an answer but no prompt (add \"prompt\" "
					"or \"messages\"; the corpus needs the prompts)", jl_path(r), rec.line);
				break;
			}
			q->line = rec.line;
			q->rc = 0;
			q->has_id = rec.id != NULL;
			q->has_model = rec.model != NULL;
			if (copy_in(&q->prompt, rec.prompt, rec.prompt_len) ||
			    copy_in(&q->response, rec.response, rec.response_len) ||
			    copy_in(&q->id, rec.id, rec.id ? strlen(rec.id) : 0) ||
			    copy_in(&q->model, rec.model, rec.model ? strlen(rec.model) : 0)) {
				got = PROV_ENOMEM;
				break;
			}
			s->n++;
		}
		if (got < 0) {
			perr = got;   /* reported after the earlier records: errors come in file order */
			snprintf(pmsg, sizeof(pmsg), "%s", prov_error_msg());
		}
		if (s->n) {
			pthread_mutex_lock(&p->mu);
			s->state = FILLED;
			p->filled++;
			pthread_cond_broadcast(&p->work);
			pthread_mutex_unlock(&p->mu);
		}
		if (job->pg)
			progress_update(job->pg, "importing %s: %ld lines, %.1f MB", jl_path(r), jl_lines(r),
				(double)jl_uncompressed(r) / 1e6);
		if (perr)
			break;
	}
	/* the rest, in order; after an error the workers finish what they hold, and it is dropped */
	while (p->oldest < p->filled) {
		int rc2 = drain_oldest(p, st, jl_path(r), stats, rc != 0);

		if (!rc)
			rc = rc2;
	}
	if (!rc && perr)
		rc = prov_error(perr, "%s", pmsg);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (k = 0; k < NSLOT; k++)
		for (j = 0; j < BATCH; j++) {
			struct irec *q = &p->slot[k].rec[j];

			pbuf_release(&q->id);
			pbuf_release(&q->prompt);
			pbuf_release(&q->response);
			pbuf_release(&q->model);
			pbuf_release(&q->blob);
			pbuf_release(&q->z);
		}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->finished);
	free(p);
	return rc;
}
