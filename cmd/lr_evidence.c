/*
 * lr_evidence.c: see lr_evidence.h. The arithmetic (bounds, verbal scale) is
 * detect/lr.c; this file reads the stored calibration and writes JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/lr_evidence.h"
#include "cmd/report_doc.h"
#include "corpus/cases.h"
#include "detect/lr.h"
#include "detect/util.h"

/* The calibration (whole files or a slice size) whose mean prompt count is closest to count. */
static const json_t *pick_group(const json_t *cal, size_t count)
{
	const json_t *best = NULL, *g;
	double bestd = INFINITY;
	size_t i;
	const json_t *cands[65];
	size_t nc = 0;

	cands[nc++] = cal;
	json_array_foreach(json_object_get(cal, "slices"), i, g)
		if (nc < 65)
			cands[nc++] = g;
	for (i = 0; i < nc; i++) {
		const char *st = json_string_value(json_object_get(cands[i], "status"));
		double m = json_number_value(json_object_get(cands[i], "mean_prompts")), d;

		if (!st || strcmp(st, "available") || !json_is_object(json_object_get(cands[i], "weights")))
			continue;
		d = m > 0 && count > 0 ? fabs(log(m / (double)count)) : INFINITY;
		if (!best || d < bestd) {
			best = cands[i];
			bestd = d;
		}
	}
	return best;
}

/* "8.3", "140": an LR (or its inverse) in words. */
static void times(char *buf, size_t n, double v)
{
	double s = report_sig(v, 2);

	if (s >= 10)
		snprintf(buf, n, "%.0f", s);
	else if (fabs(s - floor(s + 0.5)) < 1e-9)
		snprintf(buf, n, "%.0f", s);
	else
		snprintf(buf, n, "%.1f", s);
}

struct fam_input {
	const char *family;
	double pos, claims, tmpl;
};

static double per100(double c, double n)
{
	return n > 0 ? log1p(100.0 * c / n) : 0;
}

int lr_evidence_add(json_t *doc, struct store *reader, const char *snapshot, const char *tool_version,
	const char *patterns, size_t count)
{
	struct pbuf res = PBUF_INIT(0);
	char created[32], buf[1024], num[32];
	int64_t vid = 0;
	json_t *vdoc = NULL, *arr = json_array(), *ref, *cal_out;
	const json_t *cal, *g, *t, *w, *inputs;
	struct fam_input fam[64];
	struct lr_bounds b;
	size_t nf = 0, i, k;
	double n = (double)json_integer_value(json_object_get(json_object_get(doc, "suspect"), "responses"));
	int rc, lead = -1;

	rc = store_validation_latest_calibrated(reader, snapshot, tool_version, patterns, &vid, created, &res);
	if (rc == 1) {
		/* a report quotes only a calibration whose validation verifies (hash, header, chain, signatures) */
		struct verify_item *items = NULL;
		size_t ni = 0, j;
		int vr = validation_verify(reader, vid, NULL, &items, &ni);

		if (vr == PROV_ETAMPER) {
			for (j = 0; j < ni && items[j].ok != 0; j++)
				;
			rc = prov_error(PROV_ETAMPER, "validation %lld (the corpus's calibration) does not verify (%s):"
				" a report quotes only a calibration that verifies (see: provenance verify --all)",
				(long long)vid, j < ni ? items[j].what : "?");
		} else if (vr < 0 && vr != CASE_UNANCHORED)
			rc = vr;
		free(items);
	}
	if (rc < 0) {
		pbuf_release(&res);
		json_decref(arr);
		return rc;
	}
	if (rc == 1) {
		json_error_t err;

		vdoc = json_loadb(res.data, res.len, 0, &err);
	}
	pbuf_release(&res);
	cal = json_object_get(vdoc, "calibration");
	g = cal ? pick_group(cal, count) : NULL;
	if (!g) {
		json_object_set_new(doc, "evidence_strength", arr);
		json_object_set_new(doc, "evidence_strength_statement", json_string(LR_EVIDENCE_NONE));
		json_object_set_new(doc, "evidence_calibration", json_null());
		json_decref(vdoc);
		return 0;
	}
	w = json_object_get(g, "weights");
	inputs = json_object_get(g, "inputs");
	b.lower = json_number_value(json_object_get(json_object_get(g, "bound"), "lower"));
	b.upper = json_number_value(json_object_get(json_object_get(g, "bound"), "upper"));
	if (!(b.lower > 0) || !(b.upper > 0)) {
		b.lower = b.upper = 1;
	}
	/* each family's best teacher by calibrated position: the calibration's input, as validate reads it */
	json_array_foreach(json_object_get(doc, "teachers"), i, t) {
		const char *f = json_string_value(json_object_get(t, "family"));
		const json_t *pos = json_object_get(json_object_get(t, "calibration"), "position");
		const json_t *sg = json_object_get(t, "signals");

		if (!f)
			f = json_string_value(json_object_get(t, "model"));
		if (!f)
			continue;
		for (k = 0; k < nf && strcmp(fam[k].family, f); k++)
			;
		if (k == nf) {
			if (nf == 64)
				continue;
			fam[nf].family = f;
			fam[nf].pos = NAN;
			fam[nf].claims = fam[nf].tmpl = 0;
			nf++;
		}
		if (json_is_number(pos) && (isnan(fam[k].pos) || json_number_value(pos) > fam[k].pos)) {
			fam[k].pos = json_number_value(pos);
			fam[k].claims = per100((double)json_integer_value(json_object_get(json_object_get(sg, "identity"),
				"suspect_claims")), n);
			fam[k].tmpl = per100((double)json_integer_value(json_object_get(json_object_get(sg, "refusal"),
				"same_template")), n);
		}
	}
	ref = json_object();
	json_object_set_new(ref, "id", json_integer(vid));
	json_object_set(ref, "cllr", json_object_get(g, "cllr"));
	json_object_set(ref, "cllr_min", json_object_get(g, "cllr_min"));
	json_object_set(ref, "positives", json_object_get(g, "positives"));
	json_object_set(ref, "negatives", json_object_get(g, "negatives"));
	{
		double best = -INFINITY;

		for (k = 0; k < nf; k++) {
			json_t *e = json_object();
			double llr, lr;
			enum lr_bound which;
			const char *verbal;
			int for_hd;
			size_t j;
			const json_t *in;

			json_object_set_new(e, "family", json_string(fam[k].family));
			if (isnan(fam[k].pos)) {
				json_object_set_new(e, "lr", json_null());
				json_object_set_new(e, "log10_lr", json_null());
				json_object_set_new(e, "verbal", json_string("no likelihood ratio: every teacher of the family is"
					" inconclusive"));
				json_object_set_new(e, "supports", json_null());
				json_object_set_new(e, "bound", json_null());
				json_object_set_new(e, "position", json_null());
				json_object_set(e, "calibration", ref);
				json_array_append_new(arr, e);
				continue;
			}
			llr = json_number_value(json_object_get(w, "intercept"));
			json_array_foreach(inputs, j, in) {
				const char *name = json_string_value(in);
				double x = !name ? 0 : !strcmp(name, "position") ? fam[k].pos :
					!strcmp(name, "identity_claims") ? fam[k].claims :
					!strcmp(name, "refusal_templates") ? fam[k].tmpl : 0;

				llr += json_number_value(json_object_get(w, name ? name : "")) * x;
			}
			llr = lr_clamp(llr, &b, &which);
			lr = exp(llr);
			verbal = lr_verbal(report_sig(lr, 4), &for_hd);
			json_object_set_new(e, "lr", report_jsig(lr, 4));
			json_object_set_new(e, "log10_lr", report_jsig(llr / M_LN10, 3));
			json_object_set_new(e, "verbal", json_string(verbal));
			json_object_set_new(e, "supports", !strcmp(verbal, "neutral") ? json_null() :
				json_string(for_hd ? "Hd" : "Hp"));
			json_object_set_new(e, "bound", json_string(lr_bound_name(which)));
			json_object_set_new(e, "position", report_jsig(fam[k].pos, 4));
			json_object_set(e, "calibration", ref);
			json_array_append_new(arr, e);
			if (lr > best) {
				best = lr;
				lead = (int)json_array_size(arr) - 1;
			}
		}
	}
	/* the lead sentence: the family with the largest LR */
	if (lead >= 0) {
		const json_t *e = json_array_get(arr, (size_t)lead);
		double lr = json_number_value(json_object_get(e, "lr"));
		const char *f = json_string_value(json_object_get(e, "family"));
		const char *verbal = json_string_value(json_object_get(e, "verbal"));
		const char *bound = json_string_value(json_object_get(e, "bound"));
		size_t off;

		if (!strcmp(verbal, "neutral"))
			off = (size_t)snprintf(buf, sizeof(buf), "The outputs are about as likely if the suspect was trained on"
				" outputs of the %s family as if it was not (likelihood ratio 1): neutral, support for neither.", f);
		else if (lr > 1) {
			times(num, sizeof(num), lr);
			off = (size_t)snprintf(buf, sizeof(buf), "The outputs are about %s times more likely if the suspect was"
				" trained on outputs of the %s family than if it was not: %s.", num, f, verbal);
		} else {
			times(num, sizeof(num), 1 / lr);
			off = (size_t)snprintf(buf, sizeof(buf), "The outputs are about %s times more likely if the suspect was"
				" not trained on outputs of the %s family than if it was: %s for that.", num, f, verbal);
		}
		if (off < sizeof(buf) && strcmp(bound, "none"))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, " (The %s bound applied: the calibration's"
				" background supports no stronger value.)", bound);
		if (off < sizeof(buf))
			snprintf(buf + off, sizeof(buf) - off, " Calibrated on %lld labelled models, Cllr %.2f.",
				(long long)json_integer_value(json_object_get(g, "models")),
				json_number_value(json_object_get(g, "cllr")));
	} else {
		snprintf(buf, sizeof(buf), "no likelihood ratio: no teacher family has a calibrated statistic for this"
			" suspect (every teacher is inconclusive)");
	}
	json_object_set_new(doc, "evidence_strength", arr);
	json_object_set_new(doc, "evidence_strength_statement", json_string(buf));
	cal_out = json_object();
	json_object_set_new(cal_out, "id", json_integer(vid));
	json_object_set_new(cal_out, "validated_at", json_string(created));
	json_object_set(cal_out, "group", json_object_get(g, "name"));
	json_object_set(cal_out, "slice", json_object_get(g, "slice"));
	{
		static const char *const keys[] = { "models", "mean_prompts", "positives", "negatives", "cllr", "cllr_min",
			"inputs", "weights", "bound", "misleading", "tippett" };

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			json_object_set(cal_out, keys[k], json_object_get(g, keys[k]) ? json_object_get(g, keys[k]) :
				json_null());
	}
	json_object_set(cal_out, "labels_sha256", json_object_get(cal, "labels_sha256"));
	json_object_set(cal_out, "propositions", json_object_get(cal, "propositions"));
	json_object_set_new(doc, "evidence_calibration", cal_out);
	json_decref(ref);
	json_decref(vdoc);
	return 0;
}
