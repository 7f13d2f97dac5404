/*
 * attrib.h: the descriptive attribution tests of a scan (docs/method.md,
 * "Descriptive attribution"): per-unit channel values of the suspect against
 * the teacher and against each control, and one-sided sign-flip tests of
 * their differences per control and against the panel mean. No verdict
 * rests on them; they say which control is closest and which signals carry
 * the resemblance. Internal to detect/. Pure.
 */
#ifndef PROV_ATTRIB_H
#define PROV_ATTRIB_H

#include <stddef.h>
#include <stdint.h>
#include "detect/engine_int.h"
#include "detect/stats.h"

/*
 * Channel values for one (suspect, teacher) pair: per unit (prompt), the value
 * against the teacher and against each control; NAN where not available.
 */
struct chan {
	size_t nunits, nctrl, cap;
	float *vt;                  /* nunits * CH_COUNT */
	float *vc;                  /* nunits * nctrl * CH_COUNT */
};

#define VT(ch, u, k) ((ch)->vt[(u) * CH_COUNT + (k)])
#define VC(ch, u, j, k) ((ch)->vc[((u) * (ch)->nctrl + (j)) * CH_COUNT + (k)])

/* Make room for nunits units and nctrl controls, no unit yet. 0 or PROV_ENOMEM. */
int chan_reset(struct chan *ch, size_t nunits, size_t nctrl);
void chan_release(struct chan *ch);
/* Open a new unit with every value missing (NAN); returns its index. */
size_t chan_unit(struct chan *ch);
/* 1 if the differences in the channels of `mask` vary at all (else there is nothing to test). */
int chan_varies(const struct chan *ch, unsigned mask);

struct tests {
	struct stat_test *ctrl;     /* per control */
	struct stat_test panel;
	size_t closest;             /* the binding control: largest p, then smallest z */
	int any;
};

/*
 * The test over the channels in `mask` (see attrib.c); out->ctrl must hold
 * ch->nctrl results. Controls with fewer than min_n units are not tested.
 * work holds ch->nunits doubles. 0 or PROV_ENOMEM.
 */
int composite(struct tests *out, const struct chan *ch, unsigned mask, uint64_t seed, size_t min_n,
	double *work, double **dist, size_t *ndist);

#endif
