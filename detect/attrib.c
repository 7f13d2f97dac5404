/*
 * attrib.c: see attrib.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/attrib.h"

int chan_reset(struct chan *ch, size_t nunits, size_t nctrl)
{
	size_t need = nunits * (nctrl ? nctrl : 1) * CH_COUNT;

	if (need > ch->cap) {
		float *a = prov_reallocarray(ch->vt, nunits * CH_COUNT + 1, sizeof(*a)), *b;

		if (!a)
			return PROV_ENOMEM;
		ch->vt = a;
		b = prov_reallocarray(ch->vc, need, sizeof(*b));
		if (!b)
			return PROV_ENOMEM;
		ch->vc = b;
		ch->cap = need;
	}
	ch->nunits = 0;
	ch->nctrl = nctrl;
	return 0;
}

void chan_release(struct chan *ch)
{
	free(ch->vt);
	free(ch->vc);
	memset(ch, 0, sizeof(*ch));
}

/* Open a new unit with all values missing; returns its index. */
size_t chan_unit(struct chan *ch)
{
	size_t u = ch->nunits++, k;

	for (k = 0; k < CH_COUNT; k++)
		ch->vt[u * CH_COUNT + k] = NAN;
	for (k = 0; k < ch->nctrl * CH_COUNT; k++)
		ch->vc[u * ch->nctrl * CH_COUNT + k] = NAN;
	return u;
}


/*
 * The unit each channel's differences are measured in before the channels are
 * summed. Continuous similarities (lexical, style, phrase rates) are divided
 * by their root mean square over the prompts. Counts (a shared opener or
 * closer, a shared refusal template, an identity claim) count in their own
 * unit: one occurrence is one. Dividing a count that is non-zero on one prompt
 * in hundreds by its root mean square would give that single prompt the
 * weight of sqrt(n) standard units.
 */
static const int channel_is_count[CH_COUNT] = {
	[CH_LEX] = 0, [CH_STY] = 0, [CH_PHR] = 0, [CH_OPEN] = 1, [CH_REF] = 1, [CH_IDN] = 1,
};


/*
 * Channel k of unit u for control j, or (j == nc) the mean over the controls
 * that have it. 0 when there is no value.
 */
static int ctrl_value(const struct chan *ch, size_t u, size_t j, size_t k, double *out)
{
	size_t m, have = 0;
	double c = 0;

	if (j < ch->nctrl) {
		*out = VC(ch, u, j, k);
		return !isnan(*out);
	}
	for (m = 0; m < ch->nctrl; m++)
		if (!isnan(VC(ch, u, m, k))) {
			c += VC(ch, u, m, k);
			have++;
		}
	if (!have)
		return 0;
	*out = c / (double)have;
	return 1;
}

/*
 * The descriptive test over the channels in `mask`: for each control, each
 * channel's differences are divided by their root mean square and summed per
 * unit; the sign-flip test of the sums gives z and p. The same against the
 * mean of the controls gives the panel test. The closest control is the one
 * with the largest p among those with at least min_n units (a control that
 * shares fewer prompts with the suspect is not tested). `dist` (may be NULL)
 * receives the per-unit sums against it.
 */
int composite(struct tests *out, const struct chan *ch, unsigned mask, uint64_t seed, size_t min_n,
	double *work, double **dist, size_t *ndist)
{
	size_t nu = ch->nunits, nc = ch->nctrl, j, u, k;
	double rms[CH_COUNT];
	int have_best = 0;

	out->any = 0;
	out->closest = 0;
	for (j = 0; j <= nc; j++) {
		/* j == nc: the panel mean */
		size_t cnt[CH_COUNT], n = 0;
		struct stat_test *st = j < nc ? &out->ctrl[j] : &out->panel;

		memset(cnt, 0, sizeof(cnt));
		for (k = 0; k < CH_COUNT; k++)
			rms[k] = 0;
		for (u = 0; u < nu; u++) {
			for (k = 0; k < CH_COUNT; k++) {
				double t = VT(ch, u, k), c, d;

				if (!(mask & (1u << k)) || isnan(t) || !ctrl_value(ch, u, j, k, &c))
					continue;
				d = t - c;
				rms[k] += d * d;
				cnt[k]++;
			}
		}
		for (k = 0; k < CH_COUNT; k++)
			rms[k] = !cnt[k] || rms[k] <= 0 ? 0 : channel_is_count[k] ? 1.0 : sqrt(rms[k] / (double)cnt[k]);
		for (u = 0; u < nu; u++) {
			double sum = 0;
			int have = 0;

			for (k = 0; k < CH_COUNT; k++) {
				double t = VT(ch, u, k), c;

				if (!(mask & (1u << k)) || isnan(t) || rms[k] <= 0 || !ctrl_value(ch, u, j, k, &c))
					continue;
				sum += (t - c) / rms[k];
				have = 1;
			}
			if (have)
				work[n++] = sum;
		}
		if (n >= min_n) {
			stat_signflip(st, work, n, seed + j);
		} else {
			/* too few shared prompts to test this control: reported with its n, never the closest */
			memset(st, 0, sizeof(*st));
			st->n = n;
			st->p = 1;
		}
		if (n >= min_n && n)
			out->any = 1;
		if (j < nc && n >= min_n && n && (!have_best || st->p > out->ctrl[out->closest].p ||
				    (st->p == out->ctrl[out->closest].p && st->z < out->ctrl[out->closest].z))) {
			have_best = 1;
			out->closest = j;
			if (dist) {
				double *dd = prov_reallocarray(*dist, n ? n : 1, sizeof(*dd));

				if (!dd)
					return PROV_ENOMEM;
				memcpy(dd, work, n * sizeof(*dd));
				*dist = dd;
				*ndist = n;
			}
		}
	}
	return 0;
}

int chan_varies(const struct chan *ch, unsigned mask)
{
	size_t u, j, k;
	double first = NAN;

	for (u = 0; u < ch->nunits; u++)
		for (k = 0; k < CH_COUNT; k++) {
			double d;

			if (!(mask & (1u << k)) || isnan(VT(ch, u, k)))
				continue;
			for (j = 0; j < ch->nctrl; j++) {
				if (isnan(VC(ch, u, j, k)))
					continue;
				d = VT(ch, u, k) - VC(ch, u, j, k);
				if (isnan(first))
					first = d;
				else if (d != first)
					return 1;
			}
		}
	return 0;
}
