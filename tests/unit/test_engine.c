/*
 * Unit tests for detect/ (prep.c, engine.c, calib.c) on a synthetic corpus with
 * a known answer: teacher "tea" (family f1) and "tu" (family f2), references
 * "r1".."r5" of five makers; a suspect that copies tea's house style and
 * content, and one that does not.
 */
#include <math.h>

#include "unit.h"
#include "detect/engine.h"

#define NP 60
#define NM 7
#define TEA 5

static const char *const names[NM] = { "r1", "r2", "r3", "r4", "r5", "tea", "tu" };
static const char *const fams[NM] = { "m1", "m2", "m3", "m4", "m5", "f1", "f2" };
static const int teach[NM] = { 0, 0, 0, 0, 0, 1, 1 };

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static const char *const vocab[] = { "river", "stone", "light", "garden", "market", "winter", "signal", "forest",
	"engine", "letter", "bridge", "harbor", "circle", "ladder", "mirror", "pocket", "silver", "thunder",
	"velvet", "window", "anchor", "candle", "desert", "feather", "glacier", "island", "jungle", "kettle" };
#define NV (sizeof(vocab) / sizeof(vocab[0]))

static void words(char *buf, size_t n, uint64_t seed, int count)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < count && off + 16 < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? " " : "", vocab[lcg(&seed) % NV]);
}

/* The answer of model m (or a suspect style) to prompt p. */
static void answer(char *out, size_t n, const char *style, int p, uint64_t salt)
{
	char topic[128], extra[256];

	words(topic, sizeof(topic), (uint64_t)p * 7919 + 1, 3);          /* what the prompt is about */
	words(extra, sizeof(extra), (uint64_t)p * 104729 + salt, 12);    /* this model's own content */
	if (!strcmp(style, "tea"))
		snprintf(out, n, "Certainly! Here is an overview of %s:\n\n1. **Background**: %s.\n"
			"2. **Details**: it's important to note that %s matters.\n\nIn summary, %s. I hope this helps!",
			topic, extra, topic, topic);
	else if (!strcmp(style, "tu"))
		snprintf(out, n, "I'd be happy to help with %s. %s, which is worth considering. Let me know if you have"
			" any other questions about %s!", topic, extra, topic);
	else if (!strcmp(style, "r"))
		snprintf(out, n, "%s is a thing people ask about. %s. That's about it.", topic, extra);
	else   /* the independent suspect: terse dashes */
		snprintf(out, n, "- %s\n- %s\n- done", topic, extra);
}

struct world {
	struct feat f[NP * NM];
	const struct feat *resp[NP * NM];
	struct eng_model models[NM];
	uint8_t fold[NP];
	struct eng_corpus c;
};

static void build_world(struct world *w)
{
	char buf[1024];
	int p, m;

	memset(w, 0, sizeof(*w));
	for (m = 0; m < NM; m++) {
		w->models[m].name = names[m];
		w->models[m].family = fams[m];
		w->models[m].teacher = teach[m];
	}
	for (p = 0; p < NP; p++) {
		w->fold[p] = (uint8_t)(p & 1);
		for (m = 0; m < NM; m++) {
			const char *style = m < TEA ? "r" : names[m];

			answer(buf, sizeof(buf), style, p, (uint64_t)m * 31 + 5);
			CHECK_INT(feat_compute(&w->f[p * NM + m], buf, strlen(buf), NULL, NULL), 0);
			w->resp[p * NM + m] = &w->f[p * NM + m];
		}
	}
	w->c.nmodels = NM;
	w->c.models = w->models;
	w->c.nprompts = NP;
	w->c.fold = w->fold;
	w->c.resp = w->resp;
}

static void free_world(struct world *w)
{
	size_t i;

	for (i = 0; i < NP * NM; i++)
		feat_release(&w->f[i]);
}

struct sus {
	struct feat f[NP];
	const struct feat *fp[NP];
	long prompt[NP];
	uint8_t fold[NP];
	struct eng_suspect s;
};

/* A suspect: "copy" (tea's style and tea's own content), "indie", or a short "few". */
static void build_suspect(struct sus *s, const char *kind, size_t n)
{
	char buf[1024];
	size_t p;

	memset(s, 0, sizeof(*s));
	for (p = 0; p < n; p++) {
		if (!strcmp(kind, "copy"))
			answer(buf, sizeof(buf), "tea", (int)p, TEA * 31 + 5);   /* tea's salt: same content */
		else
			answer(buf, sizeof(buf), "indie", (int)p, 999);
		CHECK_INT(feat_compute(&s->f[p], buf, strlen(buf), NULL, NULL), 0);
		s->fp[p] = &s->f[p];
		s->prompt[p] = (long)p;
		s->fold[p] = (uint8_t)(p & 1);
	}
	s->s.n = n;
	s->s.resp = s->fp;
	s->s.prompt = s->prompt;
	s->s.fold = s->fold;
}

static void free_suspect(struct sus *s)
{
	size_t i;

	for (i = 0; i < NP; i++)
		feat_release(&s->f[i]);
}

static struct world W;

static void copying_suspect_is_attributed_to_its_teacher(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct sus s;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(r->nteachers, 2);
	CHECK(r->conclusion == 0);
	CHECK_STR(names[r->t[0].model], "tea");
	CHECK(r->t[0].verdict == V_STRONG || r->t[0].verdict == V_MODERATE);
	CHECK(r->t[0].p_holm < 1e-3);
	CHECK(r->t[0].effect > 0.2);
	/* calibrated against the five references and the other teacher, each scanned as a suspect */
	CHECK_INT(r->t[0].null_k, 6);
	CHECK_INT(r->t[0].rank, 1);
	CHECK(r->t[0].position > 3);
	/* the copy is the teacher's own text */
	CHECK_INT(r->t[0].identical, NP);
	CHECK_INT(r->t[0].n, NP);
	/* robust: every control and every family of controls left out in turn (6 + 6) */
	CHECK_INT(r->t[0].nwithout, 12);
	CHECK(r->t[0].stable);
	CHECK_INT(r->t[0].needed_strong >= 0 || r->t[0].verdict != V_STRONG, 1);
	CHECK(r->t[0].sig[SIG_LEXICAL].available && r->t[0].sig[SIG_LEXICAL].z > 2);
	CHECK(r->t[0].sig[SIG_STYLE].z > 2);
	CHECK(r->t[0].nspans > 0);
	CHECK_INT(r->t[1].verdict, V_NONE);
	CHECK(r->t[1].p_holm > 0.05);
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

static void independent_suspect_shows_no_evidence(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct sus s;
	size_t i;

	build_world(&W);
	build_suspect(&s, "indie", NP);
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(r->conclusion, -1);
	CHECK_INT(r->verdict, V_NONE);
	for (i = 0; i < r->nteachers; i++) {
		CHECK(r->t[i].p_holm > 0.05);
		CHECK_INT(r->t[i].verdict, V_NONE);
	}
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

static void results_are_deterministic_and_survive_the_cache(void)
{
	struct eng_prep *pr = NULL, *pr2 = NULL;
	struct eng_result *a = NULL, *b = NULL, *c = NULL;
	struct pbuf blob = PBUF_INIT(0);
	struct eng_params other;
	struct sus s;
	size_t i;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&a, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(eng_scan(&b, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(eng_prep_encode(&blob, pr), 0);
	CHECK_INT(eng_prep_decode(&pr2, blob.data, blob.len, &W.c, NULL), 0);
	CHECK_INT(eng_scan(&c, pr2, &W.c, &s.s, NULL, 0), 0);
	for (i = 0; i < a->nteachers; i++) {
		CHECK(a->t[i].score == b->t[i].score && a->t[i].p_raw == b->t[i].p_raw);
		CHECK(a->t[i].score == c->t[i].score && a->t[i].p_raw == c->t[i].p_raw);
		CHECK(a->t[i].effect == c->t[i].effect && a->t[i].null_mean == c->t[i].null_mean);
	}
	/* a cache made with other parameters, or damaged, is refused */
	eng_params_default(&other);
	other.phrase_markers = 10;
	eng_prep_free(pr2);
	pr2 = NULL;
	CHECK_INT(eng_prep_decode(&pr2, blob.data, blob.len, &W.c, &other), PROV_ENOTFOUND);
	CHECK_INT(eng_prep_decode(&pr2, blob.data, blob.len / 2, &W.c, NULL), PROV_ENOTFOUND);
	CHECK(pr2 == NULL);
	/* taking the buffer: the table is read in place, the same preparation; a damaged one is still refused */
	{
		struct pbuf t = PBUF_INIT(0), again = PBUF_INIT(0);

		CHECK_INT(pbuf_add(&t, blob.data, blob.len), 0);
		CHECK_INT(eng_prep_decode_take(&pr2, &t, &W.c, NULL), 0);
		CHECK(t.data == NULL && t.len == 0);
		CHECK(eng_prep_diff(pr, pr2) == 0);
		CHECK_INT(eng_prep_encode(&again, pr2), 0);
		CHECK(again.len == blob.len && !memcmp(again.data, blob.data, blob.len));
		eng_prep_free(pr2);
		pr2 = NULL;
		CHECK_INT(pbuf_add(&t, blob.data, blob.len - 8), 0);
		CHECK_INT(eng_prep_decode_take(&pr2, &t, &W.c, NULL), PROV_ENOTFOUND);
		CHECK(pr2 == NULL && t.data == NULL);
		pbuf_release(&again);
	}
	eng_result_free(a);
	eng_result_free(b);
	eng_result_free(c);
	eng_prep_free(pr);
	pbuf_release(&blob);
	free_suspect(&s);
	free_world(&W);
}

static void too_few_prompts_is_inconclusive(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct sus s;
	int only_tea = TEA;

	build_world(&W);
	build_suspect(&s, "copy", 8);
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, &only_tea, 1), 0);
	CHECK_INT(r->nteachers, 1);
	CHECK_INT(r->t[0].verdict, V_INCONCLUSIVE);
	CHECK(r->t[0].reason != NULL);
	CHECK_INT(r->verdict, V_INCONCLUSIVE);
	CHECK_INT(r->conclusion, -1);
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

/* A suspect whose prompts the corpus never saw: inconclusive, whatever the unpaired channels say. */
static void no_matched_prompts_is_inconclusive(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct sus s;
	size_t i;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	for (i = 0; i < NP; i++)
		s.prompt[i] = -1;
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	for (i = 0; i < r->nteachers; i++) {
		CHECK_INT(r->t[i].verdict, V_INCONCLUSIVE);
		CHECK_INT(r->t[i].n, 0);
	}
	CHECK_INT(r->verdict, V_INCONCLUSIVE);
	CHECK_INT(r->conclusion, -1);
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

/* With fewer null models than min_null the calibrated test cannot speak: inconclusive, with the reason. */
static void a_tiny_panel_is_inconclusive(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct eng_params p;
	struct sus s;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	eng_params_default(&p);
	p.min_null = 7;          /* tea has 6 null models */
	CHECK_INT(eng_prepare(&pr, &W.c, &p, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(r->t[0].verdict, V_INCONCLUSIVE);
	CHECK(r->t[0].reason && strstr(r->t[0].reason, "null models"));
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

/* The fast preparation equals the plain pair-by-pair one, for any thread count. */
static void fast_preparation_equals_the_plain_one(void)
{
	struct eng_prep *a = NULL, *b = NULL, *n = NULL;
	struct eng_result *ra = NULL, *rn = NULL;
	struct sus s;
	size_t i;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	CHECK_INT(eng_prepare(&a, &W.c, NULL, 1), 0);
	CHECK_INT(eng_prepare(&b, &W.c, NULL, 3), 0);
	CHECK_INT(eng_prepare_naive(&n, &W.c, NULL), 0);
	CHECK(eng_prep_diff(a, b) == 0);
	CHECK(eng_prep_diff(a, n) < 1e-5);
	/* the scan's teachers on several threads give the very same numbers */
	{
		struct eng_result *r1 = NULL, *r3 = NULL;

		CHECK_INT(eng_scan(&r1, a, &W.c, &s.s, NULL, 0), 0);
		CHECK_INT(eng_scan_mt(&r3, a, &W.c, &s.s, NULL, 0, 3), 0);
		CHECK_INT(r1->nteachers, r3->nteachers);
		for (i = 0; i < r1->nteachers; i++) {
			CHECK_INT(r1->t[i].model, r3->t[i].model);
			CHECK_INT(r1->t[i].verdict, r3->t[i].verdict);
			CHECK(r1->t[i].score == r3->t[i].score && r1->t[i].p_holm == r3->t[i].p_holm);
			CHECK(r1->t[i].closest_p == r3->t[i].closest_p && r1->t[i].nwithout == r3->t[i].nwithout);
		}
		eng_result_free(r1);
		eng_result_free(r3);
	}
	CHECK_INT(eng_scan(&ra, a, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(eng_scan(&rn, n, &W.c, &s.s, NULL, 0), 0);
	for (i = 0; i < ra->nteachers; i++) {
		CHECK_INT(ra->t[i].verdict, rn->t[i].verdict);
		CHECK(fabs(ra->t[i].score - rn->t[i].score) < 1e-3 * (1 + fabs(rn->t[i].score)));
	}
	eng_result_free(ra);
	eng_result_free(rn);
	eng_prep_free(a);
	eng_prep_free(b);
	eng_prep_free(n);
	free_suspect(&s);
	free_world(&W);
}

/* The preparation built from chunks of prompts (a corpus not in memory at once) is the same bytes. */
static void preparation_in_chunks_equals_the_whole(void)
{
	static const struct feat *holes[NP * NM], *part[NP * NM], *col[NP];
	static uint8_t has[NP * NM];
	static const size_t sizes[] = { 1, 3, 7, NP };
	struct eng_corpus c;
	struct eng_prep *whole = NULL;
	struct pbuf ew = PBUF_INIT(0), ec = PBUF_INIT(0);
	size_t i, z, q, m;

	build_world(&W);
	/* some answers missing, as in real corpora */
	for (i = 0; i < NP * NM; i++) {
		holes[i] = (i * 7 + i / NM) % 11 == 3 ? NULL : W.resp[i];
		has[i] = holes[i] != NULL;
	}
	c = W.c;
	c.resp = holes;
	CHECK_INT(eng_prepare(&whole, &c, NULL, 2), 0);
	CHECK_INT(eng_prep_encode(&ew, whole), 0);
	c.resp = NULL;          /* the build sees presence only, and the answers chunk by chunk */
	c.has = has;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		int threads = (int)(z % 2) + 1, pass;
		struct eng_build *b = NULL;
		struct eng_prep *pr = NULL;

		CHECK_INT(eng_build_begin(&b, &c, NULL, threads), 0);
		for (m = 0; m < NM; m++) {
			if (!W.models[m].teacher)
				continue;
			for (q = 0; q < NP; q++)
				col[q] = holes[q * NM + m];
			CHECK_INT(eng_build_teacher(b, m, col, 1), 0);
		}
		for (pass = 0; pass < 2; pass++)
			for (q = 0; q < NP; q += sizes[z]) {
				struct eng_chunk k;
				size_t q1 = q + sizes[z] < NP ? q + sizes[z] : NP;

				/* a fresh copy per chunk: the build must not keep pointers into it */
				memset(part, 0, sizeof(part));
				memcpy(part, holes + q * NM, (q1 - q) * NM * sizeof(*part));
				k.q0 = q;
				k.q1 = q1;
				k.resp = part;
				CHECK_INT(pass ? eng_build_table(b, &k) : eng_build_count(b, &k), 0);
			}
		CHECK_INT(eng_build_finish(b, &pr), 0);
		eng_build_free(b);
		CHECK_INT(eng_prep_encode(&ec, pr), 0);
		CHECK_INT(ec.len, ew.len);
		CHECK(ec.len == ew.len && !memcmp(ec.data, ew.data, ew.len));
		eng_prep_free(pr);
	}
	/* out of order: a chunk that skips prompts, a table before the count */
	{
		struct eng_build *b = NULL;
		struct eng_chunk k = { 1, 2, holes + NM };

		CHECK_INT(eng_build_begin(&b, &c, NULL, 1), 0);
		for (m = 0; m < NM; m++)
			if (W.models[m].teacher)
				CHECK_INT(eng_build_teacher(b, m, holes + m, NM), 0);
		CHECK_INT(eng_build_count(b, &k), PROV_EINTERNAL);
		k.q0 = 0;
		k.q1 = NP;
		k.resp = holes;
		CHECK_INT(eng_build_table(b, &k), PROV_EINTERNAL);
		eng_build_free(b);
	}
	pbuf_release(&ew);
	pbuf_release(&ec);
	eng_prep_free(whole);
	free_world(&W);
}

/* A scan fed the panel's answers a chunk of prompts at a time, in any order, gives the same result. */
static void scan_in_chunks_equals_the_whole(void)
{
	static const struct feat *teach_only[NP * NM];
	struct eng_prep *pr = NULL;
	struct eng_result *whole = NULL, *parts = NULL;
	struct eng_sims *ss = NULL;
	struct eng_corpus c;
	struct sus s;
	size_t i, q, m;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan_mt(&whole, pr, &W.c, &s.s, NULL, 0, 2), 0);
	CHECK_INT(eng_sims_begin(&ss, pr, &W.c, &s.s), 0);
	for (q = NP; q > 0; q -= q >= 3 ? 3 : q) {      /* chunks of 3 prompts, last first */
		struct eng_chunk k;

		k.q0 = q >= 3 ? q - 3 : 0;
		k.q1 = q;
		k.resp = W.resp + k.q0 * NM;
		CHECK_INT(eng_sims_add(ss, pr, &s.s, &k), 0);
		if (q == NP)
			CHECK_INT(eng_scan_sims(&parts, pr, &W.c, &s.s, ss, NULL, 0, 1), PROV_EINTERNAL);   /* not all yet */
	}
	{
		struct eng_chunk again = { 0, 3, W.resp };

		CHECK_INT(eng_sims_add(ss, pr, &s.s, &again), PROV_EINTERNAL);   /* a prompt added twice */
	}
	/* the scan itself needs only the teachers' answers */
	for (q = 0; q < NP; q++)
		for (m = 0; m < NM; m++)
			teach_only[q * NM + m] = W.models[m].teacher ? W.resp[q * NM + m] : NULL;
	c = W.c;
	c.resp = teach_only;
	CHECK_INT(eng_scan_sims(&parts, pr, &c, &s.s, ss, NULL, 0, 2), 0);
	CHECK_INT(parts->nteachers, whole->nteachers);
	for (i = 0; i < whole->nteachers; i++) {
		CHECK_INT(parts->t[i].model, whole->t[i].model);
		CHECK_INT(parts->t[i].verdict, whole->t[i].verdict);
		CHECK(parts->t[i].score == whole->t[i].score && parts->t[i].p_holm == whole->t[i].p_holm);
		CHECK(parts->t[i].closest == whole->t[i].closest && parts->t[i].closest_p == whole->t[i].closest_p);
		CHECK(parts->t[i].identical == whole->t[i].identical && parts->t[i].nspans == whole->t[i].nspans);
		CHECK(parts->t[i].control_claim_rate == whole->t[i].control_claim_rate);
	}
	eng_result_free(whole);
	eng_result_free(parts);
	eng_sims_free(ss);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

/*
 * Models that share none of the suspect's prompts, hidden as the scan hides
 * them (no answers, not among the teachers tested), change nothing: the same
 * verdicts, p-values, statistics, controls and nulls as without them. The
 * world gains 40 prompts answered only by a teacher of tea's family, a teacher
 * of a new family and a reference.
 */
#define NPX (NP + 40)
#define NMX (NM + 3)
static void models_sharing_no_prompt_change_nothing_once_hidden(void)
{
	static const char *const xnames[3] = { "xt", "xu", "xr" };
	static const char *const xfams[3] = { "f1", "f3", "m9" };
	static const int xteach[3] = { 1, 1, 0 };
	static struct feat xf[40 * 3];
	static const struct feat *xresp[NPX * NMX];
	static uint8_t xfold[NPX], xhas[NPX * NMX];
	struct eng_model xmodels[NMX];
	struct eng_corpus xc;
	struct eng_prep *pr = NULL, *xpr = NULL;
	struct eng_result *r = NULL, *xr = NULL;
	struct sus s;
	int tested[2] = { TEA, TEA + 1 };
	char buf[1024];
	size_t p, m, i, j;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	memset(xresp, 0, sizeof(xresp));
	memset(xhas, 0, sizeof(xhas));
	for (m = 0; m < NMX; m++) {
		xmodels[m].name = m < NM ? names[m] : xnames[m - NM];
		xmodels[m].family = m < NM ? fams[m] : xfams[m - NM];
		xmodels[m].teacher = m < NM ? teach[m] : xteach[m - NM];
	}
	for (p = 0; p < NPX; p++) {
		xfold[p] = (uint8_t)(p & 1);
		for (m = 0; m < NM && p < NP; m++)
			xresp[p * NMX + m] = W.resp[p * NM + m];
		for (m = NM; m < NMX && p >= NP; m++) {
			struct feat *f = &xf[(p - NP) * 3 + (m - NM)];

			answer(buf, sizeof(buf), m == NM ? "tea" : m == NM + 1 ? "tu" : "r", (int)p, (uint64_t)m * 17 + 3);
			CHECK_INT(feat_compute(f, buf, strlen(buf), NULL, NULL), 0);
		}
	}
	/* the scan's corpus: the extra models' answers hidden (resp NULL, has 0) */
	for (p = 0; p < NPX; p++)
		for (m = 0; m < NMX; m++)
			xhas[p * NMX + m] = xresp[p * NMX + m] != NULL;
	memset(&xc, 0, sizeof(xc));
	xc.nmodels = NMX;
	xc.models = xmodels;
	xc.nprompts = NPX;
	xc.fold = xfold;
	xc.resp = xresp;
	xc.has = xhas;
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(eng_prepare(&xpr, &xc, NULL, 1), 0);
	CHECK_INT(eng_scan(&xr, xpr, &xc, &s.s, tested, 2), 0);
	CHECK_INT(xr->nteachers, r->nteachers);
	CHECK_INT(xr->verdict, r->verdict);
	CHECK_INT(xr->conclusion, r->conclusion);
	CHECK_INT(xr->references, r->references);
	CHECK_INT(xr->makers, r->makers);
	for (i = 0; i < r->nteachers && i < xr->nteachers; i++) {
		const struct eng_teacher *a = &r->t[i], *b = &xr->t[i];

		CHECK_INT(b->model, a->model);
		CHECK_INT(b->verdict, a->verdict);
		CHECK(b->p_raw == a->p_raw && b->p_holm == a->p_holm && b->stat == a->stat && b->effect == a->effect);
		CHECK_INT(b->holm_factor, a->holm_factor);
		CHECK_INT(b->null_k, a->null_k);
		CHECK_INT(b->ncontrols, a->ncontrols);
		for (j = 0; j < a->ncontrols && j < b->ncontrols; j++) {
			CHECK_INT(b->controls[j].model, a->controls[j].model);
			CHECK_INT(b->controls[j].n, a->controls[j].n);
			CHECK(b->controls[j].p == a->controls[j].p);
		}
	}
	eng_result_free(r);
	eng_result_free(xr);
	eng_prep_free(pr);
	eng_prep_free(xpr);
	for (i = 0; i < 40 * 3; i++)
		feat_release(&xf[i]);
	free_suspect(&s);
	free_world(&W);
}

/*
 * A control is compared on the prompts it answered: one that answered 40 of
 * the suspect's 60 has n 40; one that answered 10 (fewer than min_prompts)
 * is no control, no null model, and not counted among the references.
 */
static void a_control_is_compared_on_the_prompts_it_answered(void)
{
	struct eng_prep *pr = NULL;
	struct eng_result *r = NULL;
	struct sus s;
	size_t p, i, j;

	build_world(&W);
	build_suspect(&s, "copy", NP);
	for (p = 0; p < NP; p++) {
		if (p < 50)
			W.resp[p * NM + 0] = NULL;     /* r1: 10 prompts */
		if (p < 20)
			W.resp[p * NM + 1] = NULL;     /* r2: 40 prompts */
	}
	CHECK_INT(eng_prepare(&pr, &W.c, NULL, 1), 0);
	CHECK_INT(eng_scan(&r, pr, &W.c, &s.s, NULL, 0), 0);
	CHECK_INT(r->references, 4);
	CHECK_INT(r->makers, 4);
	for (i = 0; i < r->nteachers; i++) {
		int r2 = 0;

		for (j = 0; j < r->t[i].ncontrols; j++) {
			CHECK(r->t[i].controls[j].model != 0);
			if (r->t[i].controls[j].model == 1) {
				r2 = 1;
				CHECK_INT(r->t[i].controls[j].n, 40);
			} else {
				CHECK_INT(r->t[i].controls[j].n, NP);
			}
		}
		CHECK(r2);
		for (j = 0; j < r->t[i].nnulls; j++)
			CHECK(r->t[i].nulls[j].model != 0);
	}
	eng_result_free(r);
	eng_prep_free(pr);
	free_suspect(&s);
	free_world(&W);
}

UNIT_MAIN(
	UNIT_TEST(copying_suspect_is_attributed_to_its_teacher),
	UNIT_TEST(independent_suspect_shows_no_evidence),
	UNIT_TEST(results_are_deterministic_and_survive_the_cache),
	UNIT_TEST(too_few_prompts_is_inconclusive),
	UNIT_TEST(no_matched_prompts_is_inconclusive),
	UNIT_TEST(a_tiny_panel_is_inconclusive),
	UNIT_TEST(fast_preparation_equals_the_plain_one),
	UNIT_TEST(preparation_in_chunks_equals_the_whole),
	UNIT_TEST(scan_in_chunks_equals_the_whole),
	UNIT_TEST(models_sharing_no_prompt_change_nothing_once_hidden),
	UNIT_TEST(a_control_is_compared_on_the_prompts_it_answered)
)
