/*
 * render_html.c: the report document as one self-contained HTML file.
 *
 * Inline CSS and inline SVG charts, no JavaScript, no external resource (a
 * Content-Security-Policy forbids scripts and fetches even if a value were
 * ever mis-escaped). Print CSS: A4, every major section on a new page, rows,
 * figures and excerpt pairs kept whole, no dark backgrounds. Every value from
 * the document goes through h_text(), which escapes & < > " ' and turns
 * control characters and bidirectional overrides into visible text.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/render.h"

struct ht {
	struct pbuf *out;
	const json_t *doc;
	struct pbuf tmp;   /* plain text being built, see h_plain */
	int rc;            /* the first error; later calls do nothing */
	int figure;        /* figures numbered in order */
};

static const char css[] =
	":root{--ink:#1a1a1a;--muted:#595959;--rule:#8c8c8c;--faint:#dedede;--vc:#555}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0 auto;max-width:54rem;padding:2.5rem 3.2rem 3rem;background:#fff;color:var(--ink);"
	"font:15.5px/1.5 Charter,'Bitstream Charter','Sitka Text',Cambria,'DejaVu Serif',Georgia,serif}\n"
	"h1,h2,h3,h4,table,figcaption,nav,.lab,.verdict,.head,.who,footer,.chart text{"
	"font-family:'Helvetica Neue',Arial,'Liberation Sans','DejaVu Sans',sans-serif}\n"
	"h1{font-size:1.85rem;margin:.3rem 0 .1rem;letter-spacing:.01em}\n"
	".sub{margin:0 0 1rem;color:var(--muted)}\n"
	"h2{font-size:1.3rem;border-bottom:2px solid var(--ink);padding-bottom:.2rem;margin:2.6rem 0 1rem}\n"
	"h2 .num{display:inline-block;min-width:1.6em;color:var(--muted)}\n"
	"h3{font-size:1.08rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--faint);padding-bottom:.15rem}\n"
	"h4{font-size:.8rem;margin:1.5rem 0 .4rem;text-transform:uppercase;letter-spacing:.06em;color:#3a3a3a}\n"
	"p{margin:.5rem 0}\n"
	".masthead{border-top:6px solid var(--ink);padding-top:.7rem}\n"
	".lab{font-size:.72rem;text-transform:uppercase;letter-spacing:.14em;color:var(--muted)}\n"
	"table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.82rem;line-height:1.4}\n"
	"th,td{text-align:left;vertical-align:top;padding:.28rem .5rem;border-bottom:1px solid var(--faint)}\n"
	"table.data{border-top:2px solid var(--ink);border-bottom:2px solid var(--ink)}\n"
	"table.data thead th{border-bottom:1px solid var(--ink);font-weight:600;vertical-align:bottom}\n"
	"table.kv{border-top:1px solid var(--rule);border-bottom:1px solid var(--rule)}\n"
	"table.kv th{width:30%;font-weight:600;color:#333}\n"
	".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.86em}\n"
	"code.hash{word-break:break-all}\n"
	".q{white-space:pre-wrap}\n"
	".ctl{font-family:monospace;font-size:.85em;color:#8c1c13}\n"
	".absent{color:var(--muted)}\n"
	".unstored{border:2px solid #8c1c13;padding:.5rem .8rem;font-weight:600}\n"
	"nav{font-size:.85rem;border:1px solid var(--faint);padding:.5rem 1rem;margin:1.2rem 0}\n"
	"nav ol{margin:.2rem 0;padding-left:1.4rem}\n"
	"nav .tn{white-space:nowrap;display:inline-block}\n"
	"table.summary td,table.summary th{padding:.2rem .45rem}\n"
	"nav a{color:inherit}\n"
	".v-strong{--vc:#8c1c13}.v-moderate{--vc:#b25a12}.v-weak{--vc:#9a7d12}"
	".v-inconclusive{--vc:#6e6e6e}.v-none{--vc:#3f5f7f}.v-other{--vc:#555}\n"
	".verdict{white-space:nowrap;font-weight:600;color:var(--vc)}\n"
	".verdict::before{content:'';display:inline-block;width:.62em;height:.62em;margin-right:.35em;"
	"background:var(--vc)}\n"
	".conclusion{border:1px solid var(--rule);border-left:7px solid var(--vc);padding:.7rem 1rem;"
	"margin:1rem 0 1.2rem}\n"
	".conclusion .head{font-size:1.12rem;font-weight:700;margin:.1rem 0 .4rem;line-height:1.35}\n"
	".conclusion .lab{margin:0}\n"
	".conclusion p{margin:.35rem 0;font-size:.92rem}\n"
	".warnings{border:1px solid #b25a12;border-left:5px solid #b25a12;padding:.2rem .9rem;margin:1rem 0}\n"
	".prompt{margin:.2rem 0 .5rem}.prompt blockquote{background:#f3f3f0}\n"
	".cut{color:var(--muted)}\n"
	"ul.summaries{font-size:.9rem}\n"
	".scope{border:1px solid var(--rule);padding:.4rem 1.1rem;margin:1.2rem 0;background:#f7f7f5}\n"
	".scope h3{border:0;margin:.6rem 0 .2rem}\n"
	".scope li{margin:.3rem 0}\n"
	".notes{border-left:3px solid var(--rule);padding:.1rem .9rem;margin:1rem 0}\n"
	"figure{margin:1rem 0 1.3rem}\n"
	"figcaption{font-size:.78rem;color:var(--muted);margin-top:.3rem}\n"
	".chart{display:block;width:100%;height:auto}\n"
	".chart text{font-size:11px;fill:#1a1a1a}\n"
	".excerpt{margin:.8rem 0 1.2rem}\n"
	".excerpt .head{font-size:.82rem;margin-bottom:.3rem}\n"
	".pair{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}\n"
	".who{font-size:.78rem;color:var(--muted);margin-bottom:.2rem}\n"
	".role{text-transform:uppercase;letter-spacing:.06em;font-size:.72rem;font-weight:600}\n"
	"td.detail{width:36%}td.ctl-model{min-width:9.5em}\n"
	"blockquote{margin:0;padding:.45rem .7rem;border-left:3px solid var(--rule);background:#fafafa;"
	"white-space:pre-wrap;font-size:.92rem}\n"
	"mark{background:#fce9a6;color:inherit;border-bottom:1.5px solid #9a7500;padding:0 .04em}\n"
	"ul.claims{padding-left:1.2rem}ul.claims li{margin:.35rem 0}\n"
	"pre{background:#f7f7f5;border:1px solid var(--faint);padding:.6rem .8rem;white-space:pre-wrap;"
	"word-break:break-all;font-size:.8rem}\n"
	"footer{margin-top:3rem;border-top:1px solid var(--rule);padding-top:.4rem;font-size:.75rem;color:var(--muted)}\n"
	"@media screen{html{background:#e9e7e3}body{box-shadow:0 0 0 1px #d3d0ca;min-height:100vh}}\n"
	"@media print{\n"
	"@page{size:A4;margin:18mm 15mm 17mm}\n"
	"html,body{background:#fff}\n"
	"body{max-width:none;padding:0;font-size:9.5pt;line-height:1.4}\n"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"h1{font-size:1.5rem;margin:.1rem 0}\n"
	".masthead{padding-top:.3rem}.masthead table.kv{margin:.3rem 0 .5rem}\n"
	".masthead th,.masthead td{padding:.12rem .5rem}\n"
	"h2{margin:1.6rem 0 .7rem}\n"
	"section.first h2{margin-top:.6rem}\n"
	"th,td{padding:.18rem .45rem}\n"
	".conclusion{margin:.6rem 0 .8rem;padding:.5rem .9rem}\n"
	".warnings{margin:.6rem 0}.warnings p,.warnings ul{margin:.2rem 0}\n"
	"figure{margin:.6rem 0 .8rem}figcaption{font-size:.72rem}\n"
	"h2,h3,h4,.head,.who{break-after:avoid}\n"
	"tr,figure,.excerpt,.conclusion,li,blockquote,nav{break-inside:avoid}\n"
	".prompt{break-after:avoid}\n"
	"footer{margin-top:1rem;break-before:avoid}\n"
	"nav{margin:.5rem 0;padding:.3rem .8rem}\n"
	/* page 1 holds the masthead, the conclusion box and the whole summary table of 16 teachers:
	   no contents box on paper (no page numbers to give; the sections are numbered), a compact
	   masthead and table */
	"nav{display:none}\n"
	".masthead .sub{display:none}\n"
	".conclusion p{font-size:.86rem;margin:.25rem 0}.conclusion .head{font-size:1rem}\n"
	"table.summary{font-size:.74rem;line-height:1.2;margin:.3rem 0 .6rem}\n"
	"table.summary td,table.summary th{padding:.05rem .4rem}\n"
	".masthead>.lab{display:none}\n"
	"thead{display:table-header-group}\n"
	"nav a{text-decoration:none}\n"
	"}\n";

/* ------------------------------------------------------------------ */
/* Output and escaping                                                  */

static void h_raw(struct ht *h, const char *s)
{
	if (!h->rc)
		h->rc = pbuf_adds(h->out, s);
}

static void h_f(struct ht *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void h_f(struct ht *h, const char *fmt, ...)
{
	va_list ap;

	if (h->rc)
		return;
	va_start(ap, fmt);
	h->rc = pbuf_vaddf(h->out, fmt, ap);
	va_end(ap);
}

/*
 * Untrusted text: & < > " ' as references; a line break stays (shown where
 * the element keeps white space); other control characters become U+FFFD and
 * bidirectional overrides a visible "[U+202E]".
 */
static int html_escape(struct pbuf *out, const char *s, size_t len)
{
	size_t i, k;
	unsigned cp;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			rc = pbuf_adds(out, "&amp;");
			continue;
		case '<':
			rc = pbuf_adds(out, "&lt;");
			continue;
		case '>':
			rc = pbuf_adds(out, "&gt;");
			continue;
		case '"':
			rc = pbuf_adds(out, "&quot;");
			continue;
		case '\'':
			rc = pbuf_adds(out, "&#39;");
			continue;
		case '\r':
			if (i + 1 < len && s[i + 1] == '\n')
				continue;
			rc = pbuf_addc(out, '\n');
			continue;
		case '\n':
		case '\t':
			rc = pbuf_addc(out, (char)c);
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			rc = pbuf_adds(out, "\xef\xbf\xbd");
		} else if ((k = render_bidi_control(s + i, len - i, &cp))) {
			rc = pbuf_addf(out, "<span class=\"ctl\">[U+%04X]</span>", cp);
			i += k - 1;
		} else {
			rc = pbuf_addc(out, (char)c);
		}
	}
	return rc;
}

static void h_text(struct ht *h, const char *s, size_t len)
{
	if (!h->rc && s)
		h->rc = html_escape(h->out, s, len);
}

static void h_s(struct ht *h, const char *s)
{
	if (s)
		h_text(h, s, strlen(s));
}

static void h_jstr(struct ht *h, const json_t *v)
{
	if (json_is_string(v))
		h_text(h, json_string_value(v), json_string_length(v));
}

static void h_absent(struct ht *h, const char *absent)
{
	if (!strcmp(absent, RENDER_ABSENT))
		h_raw(h, "<span class=\"absent\">" RENDER_ABSENT "</span>");
	else
		h_s(h, absent);
}

/* o[key] (a string or a number) as text, or `absent` when missing. */
static void h_field(struct ht *h, const json_t *o, const char *key, const char *absent)
{
	struct rfmt tmp;
	const char *s;
	size_t len;

	s = rf_text(json_object_get(o, key), &tmp, &len);
	if (s)
		h_text(h, s, len);
	else
		h_absent(h, absent);
}

/* A formatted number (ours): the em dash for "not recorded" is greyed. */
static void h_num(struct ht *h, struct rfmt f)
{
	if (!strcmp(f.s, RENDER_ABSENT))
		h_absent(h, RENDER_ABSENT);
	else
		h_s(h, f.s);   /* "< 1e-10" */
}

/* A table cell with a right-aligned number. */
static void h_td_num(struct ht *h, struct rfmt f)
{
	h_raw(h, "<td class=\"n\">");
	h_num(h, f);
	h_raw(h, "</td>");
}

/* A JSON string (a hash, a path) as code, or `absent` when it is missing or empty. */
static void h_code(struct ht *h, const json_t *v, const char *absent)
{
	if (!v || !json_string_length(v)) {
		h_absent(h, absent);
		return;
	}
	h_raw(h, "<code class=\"hash\">");
	h_jstr(h, v);
	h_raw(h, "</code>");
}

/* Escape and append the plain text a render_*_line() call built in h->tmp, then empty it. */
static void h_plain(struct ht *h, int rc)
{
	if (!h->rc)
		h->rc = rc;
	if (h->tmp.len)
		h_text(h, h->tmp.data, h->tmp.len);
	pbuf_reset(&h->tmp);
}

static void h_value(struct ht *h, const json_t *v)
{
	h_plain(h, render_plain(&h->tmp, v));
}

/* A value of an error-rate table: reals as rates (no floating-point noise). */
static void h_rate_value(struct ht *h, const json_t *v)
{
	h_plain(h, render_plain_rates(&h->tmp, v));
}

static const char *verdict_class(enum render_verdict v)
{
	static const char *const cls[] = { "v-strong", "v-moderate", "v-weak", "v-inconclusive",
		"v-none", "v-other" };

	return cls[v];
}

static const char *verdict_colour(enum render_verdict v)
{
	static const char *const col[] = { "#8c1c13", "#b25a12", "#9a7d12", "#6e6e6e", "#3f5f7f",
		"#555555" };

	return col[v];
}

static void h_verdict(struct ht *h, const char *v)
{
	enum render_verdict rv = render_verdict_of(v);

	if (!v) {
		h_absent(h, RENDER_ABSENT);
		return;
	}
	h_f(h, "<span class=\"verdict %s\">", verdict_class(rv));
	if (render_verdict_words(rv))
		h_raw(h, render_verdict_words(rv));
	else
		h_s(h, v);
	h_raw(h, "</span>");
}

static size_t arr_size(const json_t *a)
{
	return a ? json_array_size(a) : 0;
}

/* o[key] exists and is not null. */
static int present(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return v && !json_is_null(v);
}

/* ------------------------------------------------------------------ */
/* Charts (inline SVG)                                                  */

/* Coordinates: one decimal, '.' whatever the locale. */
#define C1(v) rf_fix((v), 1).s

/* Charts plot values within +-CHART_LIMIT (the tables carry the exact numbers). */
#define CHART_LIMIT 1e6

static double clamp(double v)
{
	return v > CHART_LIMIT ? CHART_LIMIT : v < -CHART_LIMIT ? -CHART_LIMIT : v;
}

/*
 * A step of 1, 2 or 5 times a power of ten giving at most 8 intervals over
 * `range` (0 < range <= 2 * CHART_LIMIT).
 */
static double nice_step(double range)
{
	static const double mant[] = { 1, 2, 5 };
	double p = 0.001;
	int i;

	for (; p < 10 * CHART_LIMIT; p *= 10)
		for (i = 0; i < 3; i++)
			if (range / (mant[i] * p) <= 8)
				return mant[i] * p;
	return p;
}

/* At most `max` code points of s, with an ellipsis when cut (never inside a UTF-8 sequence). */
static void h_label(struct ht *h, const char *s, size_t len, size_t max)
{
	size_t i, cps = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cps++ == max) {
			h_text(h, s, i);
			h_raw(h, "\xe2\x80\xa6");
			return;
		}
	}
	h_text(h, s, len);
}

#define BAR_W 720
#define BAR_LEFT 190
#define BAR_RIGHT 200
#define BAR_ROW 28

/* Score per teacher as horizontal bars from 0, coloured (and labelled) by verdict. */
static void h_bars(struct ht *h, const json_t *teachers)
{
	double lo = 0, hi = 0, step, x0, x1, v, t;
	size_t i, k, n = arr_size(teachers);
	double plot = BAR_W - BAR_LEFT - BAR_RIGHT, height;

	for (i = 0; i < n; i++) {
		if (!rj_num(rj_at(teachers, i), "score", &v))
			continue;
		v = clamp(v);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	step = nice_step(hi - lo > 0 ? hi - lo : 1);
	lo = floor(lo / step) * step;
	hi = ceil(hi / step) * step;
	if (hi - lo <= 0)
		hi = lo + step;
#define BX(val) (BAR_LEFT + ((val) - lo) / (hi - lo) * plot)
	height = 12 + (double)n * BAR_ROW + 34;
	h->figure++;
	h_f(h, "<figure><svg class=\"chart\" viewBox=\"0 0 %d %s\" width=\"%d\" role=\"img\" "
		"aria-labelledby=\"fig%d\" xmlns=\"http://www.w3.org/2000/svg\">\n", BAR_W, C1(height),
		BAR_W, h->figure);
	/* grid and tick labels: at most 9, since step >= (hi - lo) / 8 before rounding out */
	for (t = lo, k = 0; t <= hi + step / 2 && k < 12; t += step, k++) {
		x0 = BX(t);
		h_f(h, "<line x1=\"%s\" y1=\"8\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1\"/>",
			C1(x0), C1(x0), C1(height - 26), fabs(t) < step / 1000 ? "#1a1a1a" : "#dddddd");
		h_f(h, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", C1(x0),
			C1(height - 12), rf_num(fabs(t) < step / 1000 ? 0 : t).s);
	}
	for (i = 0; i < n; i++) {
		const json_t *te = rj_at(teachers, i), *name = rj_strv(te, "model");
		enum render_verdict rv = render_verdict_of(rj_str(te, "verdict"));
		double y = 12 + (double)i * BAR_ROW;

		h_f(h, "<text x=\"%d\" y=\"%s\" text-anchor=\"end\">", BAR_LEFT - 8, C1(y + 18));
		if (name)
			h_label(h, json_string_value(name), json_string_length(name), 28);
		else
			h_raw(h, "(unnamed)");
		h_raw(h, "</text>");
		if (rj_num(te, "score", &v)) {
			x0 = BX(0);
			x1 = BX(clamp(v));
			h_f(h, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"16\" fill=\"%s\"/>",
				C1(x0 < x1 ? x0 : x1), C1(y + 6), C1(fabs(x1 - x0) < 1 ? 1 : fabs(x1 - x0)),
				verdict_colour(rv));
		}
		h_f(h, "<text x=\"%d\" y=\"%s\">%s</text><text x=\"%d\" y=\"%s\" "
			"style=\"fill:%s;font-weight:600\">", BAR_W - BAR_RIGHT + 14, C1(y + 18),
			rf_get(te, "score", RF_FIX2).s, BAR_W - BAR_RIGHT + 64, C1(y + 18),
			verdict_colour(rv));
		if (render_verdict_words(rv))
			h_raw(h, render_verdict_words(rv));
		else if (rj_str(te, "verdict"))
			h_label(h, rj_str(te, "verdict"), strlen(rj_str(te, "verdict")), 20);
		h_raw(h, "</text>\n");
	}
	h_f(h, "</svg><figcaption id=\"fig%d\">Figure %d. Score per teacher (combined test "
		"statistic; larger is stronger evidence, 0 or below is none), coloured and labelled "
		"by verdict.</figcaption></figure>\n", h->figure, h->figure);
#undef BX
}

#define HIST_W 380
#define HIST_H 180
#define HIST_L 40
#define HIST_R 12
#define HIST_T 16
#define HIST_B 36

/* The per-prompt differences against the closest control as a histogram. */
static void h_histogram(struct ht *h, const json_t *t)
{
	const json_t *dist = rj_obj(t, "distribution");
	const json_t *edges = rj_arr(dist, "edges"), *counts = rj_arr(dist, "counts");
	const json_t *name = rj_strv(t, "model");
	size_t i, n = arr_size(counts), every;
	double lo, hi, top = 0, c, pw = HIST_W - HIST_L - HIST_R, ph = HIST_H - HIST_T - HIST_B;

	if (!edges || !n || json_array_size(edges) != n + 1)
		return;
	lo = json_number_value(json_array_get(edges, 0));
	hi = json_number_value(json_array_get(edges, n));
	if (!(hi - lo > 0) || !isfinite(hi - lo) || fabs(lo) > CHART_LIMIT || fabs(hi) > CHART_LIMIT) {
		h_raw(h, "<p>The distribution's range is too wide to draw.</p>\n");
		return;
	}
	for (i = 0; i < n; i++)
		if ((c = json_number_value(json_array_get(counts, i))) > top)
			top = c;
	if (top <= 0)
		top = 1;
#define HX(val) (HIST_L + ((val) - lo) / (hi - lo) * pw)
#define HY(cnt) (HIST_T + ph - (cnt) / top * ph)
	h->figure++;
	h_f(h, "<figure><svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" role=\"img\" "
		"aria-labelledby=\"fig%d\" xmlns=\"http://www.w3.org/2000/svg\" style=\"max-width:%dpx\">\n",
		HIST_W, HIST_H, HIST_W, h->figure, HIST_W);
	for (i = 0; i < n; i++) {
		double a = json_number_value(json_array_get(edges, i));
		double b = json_number_value(json_array_get(edges, i + 1));
		const char *fill = a >= 0 ? "#3f4f60" : b <= 0 ? "#b9c2cb" : "#7d8b99";

		c = json_number_value(json_array_get(counts, i));
		h_f(h, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>",
			C1(HX(a) + 0.5), C1(HY(c)), C1(HX(b) - HX(a) - 1 > 0.5 ? HX(b) - HX(a) - 1 : 0.5),
			C1(HIST_T + ph - HY(c)), fill);
		if (n <= 16 && c > 0)
			h_f(h, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" style=\"font-size:9px\">%s"
				"</text>", C1((HX(a) + HX(b)) / 2), C1(HY(c) - 3), rf_num(c).s);
		h_raw(h, "\n");
	}
	/* axes: base line, count scale, edge labels, the zero line */
	h_f(h, "<line x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#1a1a1a\"/>", HIST_L,
		C1(HIST_T + ph), C1(HIST_L + pw), C1(HIST_T + ph));
	h_f(h, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%s\" stroke=\"#1a1a1a\"/>", HIST_L, HIST_T,
		HIST_L, C1(HIST_T + ph));
	h_f(h, "<text x=\"%d\" y=\"%s\" text-anchor=\"end\">0</text><text x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">%s</text>\n", HIST_L - 4, C1(HIST_T + ph + 4), HIST_L - 4,
		HIST_T + 4, rf_num(top).s);
	every = (n + 1 + 7) / 8;
	for (i = 0; i <= n; i += every) {
		double e = json_number_value(json_array_get(edges, i));

		h_f(h, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#1a1a1a\"/>"
			"<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>", C1(HX(e)), C1(HIST_T + ph),
			C1(HX(e)), C1(HIST_T + ph + 4), C1(HX(e)), C1(HIST_T + ph + 16), rf_num(e).s);
	}
	if (lo < 0 && hi > 0)
		h_f(h, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\" stroke=\"#8c1c13\" "
			"stroke-dasharray=\"4 3\"/>", C1(HX(0)), HIST_T - 6, C1(HX(0)), C1(HIST_T + ph));
	h_f(h, "\n<text x=\"%s\" y=\"%d\" text-anchor=\"middle\" style=\"fill:#595959\">"
		"\xe2\x86\x90 closer to the control \xc2\xb7 closer to the teacher \xe2\x86\x92</text>\n",
		C1(HIST_L + pw / 2), HIST_H - 2);
	h_f(h, "</svg><figcaption id=\"fig%d\">Figure %d. Per-prompt differences for ", h->figure,
		h->figure);
	if (name)
		h_jstr(h, name);
	else
		h_raw(h, "this teacher");
	h_raw(h, ": how many prompts show each difference between the suspect's similarity to the "
		"teacher and to the closest control. Bars right of the dashed line at 0 are prompts "
		"where the suspect is closer to the teacher.</figcaption></figure>\n");
#undef HX
#undef HY
}

static int any_calibration(const json_t *teachers)
{
	size_t i;

	for (i = 0; i < arr_size(teachers); i++)
		if (rj_obj(rj_at(teachers, i), "calibration"))
			return 1;
	return 0;
}

#define CAL_W 720
#define CAL_LEFT 190
#define CAL_RIGHT 60
#define CAL_ROW 30
#define CAL_TOP 22

/*
 * What decides the verdict: for each teacher (or only teachers[only]), the suspect's calibrated
 * statistic (a diamond, in the verdict's colour) among the null models' (grey dots; hollow:
 * outliers) on the fixed axis RENDER_AXIS_LO..RENDER_AXIS_HI null SDs above the null mean,
 * with the weak, moderate and strong thresholds as ticks. A value off the axis sits at its
 * edge with an arrow and its value.
 */
static void h_calchart(struct ht *h, const json_t *teachers, size_t only)
{
	static const char *const levels[] = { "weak", "moderate", "strong" };
	size_t i, k, rows = 0, n = arr_size(teachers);
	double plot = CAL_W - CAL_LEFT - CAL_RIGHT, height, t, x, pos;

	for (i = 0; i < n; i++)
		rows += (only == (size_t)-1 || only == i) && rj_obj(rj_at(teachers, i), "calibration");
	if (!rows)
		return;
#define CX(p) (CAL_LEFT + ((p) < RENDER_AXIS_LO ? 0 : (p) > RENDER_AXIS_HI ? plot : \
	((p) - RENDER_AXIS_LO) / (RENDER_AXIS_HI - RENDER_AXIS_LO) * plot))
	height = CAL_TOP + (double)rows * CAL_ROW + 40;
	h->figure++;
	h_f(h, "<figure class=\"calchart\"><svg class=\"chart\" viewBox=\"0 0 %d %s\" width=\"%d\" role=\"img\" "
		"aria-labelledby=\"fig%d\" xmlns=\"http://www.w3.org/2000/svg\">\n", CAL_W, C1(height), CAL_W,
		h->figure);
	for (t = RENDER_AXIS_LO; t <= RENDER_AXIS_HI + 1e-9; t += 2) {
		h_f(h, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1\"/>",
			C1(CX(t)), CAL_TOP - 6, C1(CX(t)), C1(height - 30), fabs(t) < 1e-9 ? "#1a1a1a" : "#e2e2e2");
		h_f(h, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", C1(CX(t)), C1(height - 17),
			rf_num(t).s);
	}
	h_f(h, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" style=\"fill:#595959\">null standard deviations "
		"above the null models' mean (the calibrated statistic)</text>\n", C1(CAL_LEFT + plot / 2),
		C1(height - 3));
	for (i = 0, k = 0; i < n; i++) {
		const json_t *te = rj_at(teachers, i), *cal = rj_obj(te, "calibration"), *nul = rj_arr(cal, "null");
		const json_t *name = rj_strv(te, "model");
		enum render_verdict rv = render_verdict_of(rj_str(te, "verdict"));
		double y = CAL_TOP + (double)k * CAL_ROW + CAL_ROW / 2.0;
		size_t j, l;

		if ((only != (size_t)-1 && only != i) || !cal)
			continue;
		k++;
		h_f(h, "<text x=\"%d\" y=\"%s\" text-anchor=\"end\">", CAL_LEFT - 10, C1(y + 4));
		if (name)
			h_label(h, json_string_value(name), json_string_length(name), 28);
		else
			h_raw(h, "(unnamed)");
		h_raw(h, "</text>");
		h_f(h, "<line x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#bdbdbd\"/>", CAL_LEFT, C1(y),
			C1(CAL_LEFT + plot), C1(y));
		for (l = 0; l < 3; l++) {
			pos = render_threshold_position(te, levels[l]);
			if (isnan(pos) || pos > RENDER_AXIS_HI)
				continue;
			h_f(h, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>"
				"<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" style=\"font-size:9px;fill:%s\">%c</text>",
				C1(CX(pos)), C1(y - 9), C1(CX(pos)), C1(y + 9), verdict_colour(render_verdict_of(levels[l])),
				C1(CX(pos)), C1(y - 11), verdict_colour(render_verdict_of(levels[l])), levels[l][0]);
		}
		for (j = 0; j < arr_size(nul); j++) {
			const json_t *nm = rj_at(nul, j);

			if (!rj_num(nm, "statistic", &x) || isnan(pos = render_position(cal, x)))
				continue;
			h_f(h, "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\" stroke=\"#6e6e6e\"/>",
				C1(CX(pos)), C1(y), json_is_true(rj_get(nm, "outlier")) ? "#ffffff" : "#9a9a9a");
		}
		if (rj_num(cal, "statistic", &x) && !isnan(pos = render_position(cal, x))) {
			double cx = CX(pos);

			h_f(h, "<path d=\"M%s %sl7 7l-7 7l-7 -7z\" fill=\"%s\" stroke=\"#1a1a1a\"/>", C1(cx), C1(y - 7),
				verdict_colour(rv));
			if (pos > RENDER_AXIS_HI || pos < RENDER_AXIS_LO)
				h_f(h, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" style=\"font-weight:600\">%s%s%s</text>",
					C1(pos > 0 ? cx + 10 : cx - 10), C1(y + 4), pos > 0 ? "start" : "end",
					pos > 0 ? "\xe2\x86\x92 " : "", rf_fix(pos, 1).s, pos > 0 ? "" : " \xe2\x86\x90");
		}
		h_raw(h, "\n");
	}
	h_f(h, "</svg><figcaption id=\"fig%d\">Figure %d. What decides the verdict: the suspect's calibrated "
		"statistic (diamond, in the colour of the verdict) among the null models' (dots: control models "
		"scanned in the suspect's place; hollow: outliers), in null standard deviations above the null "
		"models' mean, on the same axis in every report (%s to %s). The ticks w, m, s mark where the "
		"corrected p-value reaches the weak, moderate and strong thresholds.</figcaption></figure>\n",
		h->figure, h->figure, rf_num(RENDER_AXIS_LO).s, rf_num(RENDER_AXIS_HI).s);
#undef CX
}

/* ------------------------------------------------------------------ */
/* Sections                                                             */

static void h_section(struct ht *h, int num)
{
	h_f(h, "\n<section id=\"s%d\" class=\"major%s\">\n<h2><span class=\"num\">%d</span>%s</h2>\n",
		num, num == 1 ? " first" : "", num, render_sections[num - 1]);
}

/* A row of a two-column key/value table whose value is o[key] as text. */
static void h_kv_field(struct ht *h, const char *label, const json_t *o, const char *key)
{
	h_f(h, "<tr><th>%s</th><td>", label);
	h_field(h, o, key, RENDER_ABSENT);
	h_raw(h, "</td></tr>\n");
}

static void h_kv_code(struct ht *h, const char *label, const json_t *value, const char *absent)
{
	h_f(h, "<tr><th>%s</th><td>", label);
	h_code(h, value, absent);
	h_raw(h, "</td></tr>\n");
}

/* A value for a CSS string: only letters, digits and " .:_-" (anything else as '_'), at most `max` bytes. */
static void h_css_text(struct ht *h, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s && s[i] && i < max && !h->rc; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
			c == '.' || c == ':' || c == '_' || c == '-';

		h->rc = pbuf_addc(h->out, ok ? c : '_');
	}
}

/*
 * CSS paged media: every printed page carries the case id, a short case hash and
 * "page x of y" in its margins (or, for a scan that was not stored, says so).
 */
static void h_page_boxes(struct ht *h)
{
	const json_t *cs = rj_obj(h->doc, "case");
	struct rfmt tmp;
	size_t len;
	const char *id = rf_text(rj_get(cs, "id"), &tmp, &len), *hash = rj_str(cs, "hash");

	h_raw(h, "@media print{@page{\n@top-left{content:\"Provenance report \\00b7  ");
	if (render_unstored_notice(h->doc))
		h_raw(h, "not a stored case");
	else if (id) {
		h_raw(h, "case ");
		h_css_text(h, id, 40);
	} else
		h_raw(h, "case not recorded");
	h_raw(h, "\";font:8pt 'Helvetica Neue',Arial,'Liberation Sans',sans-serif;color:#595959}\n"
		"@top-right{content:\"");
	if (hash) {
		h_raw(h, "case hash ");
		h_css_text(h, hash, 12);
	}
	h_raw(h, "\";font:8pt 'DejaVu Sans Mono',monospace;color:#595959}\n"
		"@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);"
		"font:8pt 'Helvetica Neue',Arial,'Liberation Sans',sans-serif;color:#595959}\n}}\n");
}

static void h_header(struct ht *h)
{
	const json_t *cs = rj_obj(h->doc, "case"), *tool = rj_obj(h->doc, "tool");
	const json_t *sus = rj_obj(h->doc, "suspect"), *teachers = rj_arr(h->doc, "teachers");
	size_t i;

	h_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"");
	h_field(h, tool, "name", "provenance");
	h_raw(h, " ");
	h_field(h, tool, "version", "");
	h_raw(h, "\">\n<title>Provenance report");
	if (present(cs, "id")) {
		h_raw(h, ": case ");
		h_field(h, cs, "id", "");
	}
	if (rj_str(cs, "name")) {
		h_raw(h, " (");
		h_field(h, cs, "name", "");
		h_raw(h, ")");
	}
	h_f(h, "</title>\n<style>\n%s", css);
	h_page_boxes(h);
	h_raw(h, "</style>\n</head>\n<body>\n");
	if (render_unstored_notice(h->doc))
		h_f(h, "<p class=\"unstored\">%s</p>\n", render_unstored_notice(h->doc));

	h_raw(h, "<header class=\"masthead\">\n<div class=\"lab\">Forensic comparison of "
		"language-model outputs</div>\n<h1>Provenance report</h1>\n<p class=\"sub\">Is the "
		"suspect model's output closer to a teacher model's than the control models' output "
		"is?</p>\n<table class=\"kv\">\n<tr><th>Case</th><td>");
	h_field(h, cs, "id", RENDER_ABSENT);
	if (rj_str(cs, "name")) {
		h_raw(h, " \xc2\xb7 ");
		h_field(h, cs, "name", "");
	}
	h_raw(h, "</td></tr>\n");
	h_kv_field(h, "Created (UTC)", cs, "created_at");
	h_kv_field(h, "Suspect model", sus, "name");
	h_kv_code(h, "Suspect file SHA-256", rj_strv(sus, "sha256"), RENDER_ABSENT);
	h_kv_code(h, "Case hash", rj_strv(cs, "hash"), RENDER_ABSENT);
	h_raw(h, "<tr><th>Tool</th><td>");
	h_field(h, tool, "name", "provenance");
	h_raw(h, " ");
	h_field(h, tool, "version", RENDER_ABSENT);
	h_raw(h, "</td></tr>\n</table>\n</header>\n<nav><strong>Contents</strong>\n<ol>\n");
	for (i = 0; i < 6; i++) {
		h_f(h, "<li><a href=\"#s%zu\">%s</a>", i + 1, render_sections[i]);
		if (i == 2 && arr_size(teachers)) {
			size_t k;

			/* each name whole (never split across lines or columns); print lists them in the table */
			h_raw(h, "<span class=\"tl\">: ");
			for (k = 0; k < json_array_size(teachers); k++) {
				h_f(h, "%s<a class=\"tn\" href=\"#t%zu\">", k ? ", " : "", k + 1);
				h_field(h, rj_at(teachers, k), "model", "(unnamed)");
				h_raw(h, "</a>");
			}
			h_raw(h, "</span>");
		}
		h_raw(h, "</li>\n");
	}
	if (rj_obj(h->doc, "sample_specific"))
		h_f(h, "<li><a href=\"#s7\">%s</a></li>\n", render_ownctl_title);
	h_raw(h, "</ol>\n</nav>\n");
}

/* ------------------------------------------------------------------ */
/* Evidence strength: the likelihood ratios (validate --calibrate)      */

/* The conclusion box's lead: the likelihood-ratio sentence, or that there is none. */
static void h_lr_lead(struct ht *h)
{
	if (!present(h->doc, "evidence_strength_statement"))
		return;
	h_raw(h, "<p class=\"head\"><strong>Evidence strength.</strong> ");
	h_field(h, h->doc, "evidence_strength_statement", "");
	h_raw(h, "</p>\n");
}

#define TIP_W 640
#define TIP_H 280
#define TIP_L 52
#define TIP_R 16
#define TIP_T 14
#define TIP_B 46

/* One Tippett curve: the share of a class's LRs at or above each log10 LR, as a step line. */
static void h_tippett_curve(struct ht *h, const json_t *a, double lo, double hi, const char *colour,
	const char *dash)
{
	size_t n = arr_size(a), i;
	double pw = TIP_W - TIP_L - TIP_R, ph = TIP_H - TIP_T - TIP_B;

	if (!n)
		return;
#define TX(v) (TIP_L + (((v) < lo ? lo : (v) > hi ? hi : (v)) - lo) / (hi - lo) * pw)
#define TY(f) (TIP_T + (1 - (f)) * ph)
	h_f(h, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s d=\"M%s %s", colour, dash ? " stroke-dasharray=\"" : "",
		dash ? dash : "", dash ? "\"" : "", C1(TX(lo)), C1(TY(1.0)));
	for (i = 0; i < n; i++) {
		double v = json_number_value(json_array_get(a, i));
		double above = (double)(n - i) / (double)n, after = (double)(n - i - 1) / (double)n;

		h_f(h, "L%s %sL%s %s", C1(TX(v)), C1(TY(above)), C1(TX(v)), C1(TY(after)));
	}
	h_f(h, "L%s %s\"/>\n", C1(TX(hi)), C1(TY(0.0)));
#undef TX
#undef TY
}

/* The Tippett plot of the calibration, with the suspect's LR (the lead family's) marked. */
static void h_tippett(struct ht *h, const json_t *cal, double suspect, const char *family)
{
	const json_t *tp = rj_obj(cal, "tippett"), *pos = rj_arr(tp, "positives"), *neg = rj_arr(tp, "negatives");
	double lo = -3, hi = 3, t, pw = TIP_W - TIP_L - TIP_R, ph = TIP_H - TIP_T - TIP_B;
	size_t i;

	if (!arr_size(pos) && !arr_size(neg))
		return;
	for (i = 0; i < arr_size(pos); i++) {
		double v = json_number_value(json_array_get(pos, i));

		lo = fmin(lo, floor(v));
		hi = fmax(hi, ceil(v));
	}
	for (i = 0; i < arr_size(neg); i++) {
		double v = json_number_value(json_array_get(neg, i));

		lo = fmin(lo, floor(v));
		hi = fmax(hi, ceil(v));
	}
	if (isfinite(suspect)) {
		lo = fmin(lo, floor(suspect));
		hi = fmax(hi, ceil(suspect));
	}
	lo = fmax(lo, -8);
	hi = fmin(hi, 8);
	h->figure++;
	h_f(h, "<figure class=\"tippett\"><svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" role=\"img\" "
		"aria-labelledby=\"fig%d\" xmlns=\"http://www.w3.org/2000/svg\">\n", TIP_W, TIP_H, TIP_W, h->figure);
	for (t = lo; t <= hi + 1e-9; t += 1) {
		double x = TIP_L + (t - lo) / (hi - lo) * pw;

		h_f(h, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1\"/>"
			"<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", C1(x), TIP_T, C1(x), C1(TIP_T + ph),
			fabs(t) < 1e-9 ? "#1a1a1a" : "#e2e2e2", C1(x), C1(TIP_T + ph + 14), rf_num(t).s);
	}
	for (t = 0; t <= 1.0001; t += 0.25)
		h_f(h, "<line x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#eeeeee\"/><text x=\"%d\" y=\"%s\" "
			"text-anchor=\"end\">%s</text>\n", TIP_L, C1(TIP_T + (1 - t) * ph), C1(TIP_L + pw),
			C1(TIP_T + (1 - t) * ph), TIP_L - 6, C1(TIP_T + (1 - t) * ph + 4), rf_num(t).s);
	h_f(h, "<text x=\"%s\" y=\"%d\" text-anchor=\"middle\" style=\"fill:#595959\">log10 of the likelihood ratio"
		" (cross-validated)</text>\n", C1(TIP_L + pw / 2), TIP_H - 8);
	h_tippett_curve(h, pos, lo, hi, "#b2182b", NULL);
	h_tippett_curve(h, neg, lo, hi, "#2166ac", "6 3");
	if (isfinite(suspect)) {
		double x = TIP_L + (fmin(fmax(suspect, lo), hi) - lo) / (hi - lo) * pw;

		h_f(h, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\" stroke=\"#1a1a1a\" stroke-width=\"2\"/>"
			"<text x=\"%s\" y=\"%d\" text-anchor=\"%s\" style=\"font-weight:600\">suspect (", C1(x), TIP_T,
			C1(x), C1(TIP_T + ph), C1(x > TIP_L + pw / 2 ? x - 4 : x + 4), TIP_T + 12,
			x > TIP_L + pw / 2 ? "end" : "start");
		h_s(h, family ? family : "");
		h_f(h, "): %s</text>\n", rf_fix(suspect, 2).s);
	}
	h_f(h, "<text x=\"%s\" y=\"%d\" style=\"fill:#b2182b\">\xe2\x80\x94 derived from the family (Hp true)</text>"
		"<text x=\"%s\" y=\"%d\" style=\"fill:#2166ac\">- - not derived (Hd true)</text>\n",
		C1(TIP_L + 8), TIP_T + ph > 60 ? (int)(TIP_T + ph - 24) : TIP_T + 24, C1(TIP_L + 8),
		TIP_T + ph > 60 ? (int)(TIP_T + ph - 10) : TIP_T + 38);
	h_f(h, "</svg><figcaption id=\"fig%d\">Figure %d. Tippett plot of the calibration (validation ", h->figure,
		h->figure);
	h_raw(h, rf_get(cal, "id", RF_NUM).s);
	h_raw(h, ", ");
	h_field(h, cal, "group", "");
	h_f(h, "): for each log10 LR on the axis, the share of the labelled comparisons whose cross-validated LR is at"
		" or above it, for models derived from the family (solid, %s) and not derived (dashed, %s). A good"
		" calibration keeps the solid curve high right of 0 and the dashed curve low; the vertical line is this"
		" suspect's LR.</figcaption></figure>\n", rf_get(cal, "positives", RF_NUM).s,
		rf_get(cal, "negatives", RF_NUM).s);
}

/* The likelihood ratio per family and the Tippett plot, after the conclusion box. */
static void h_evidence_strength(struct ht *h)
{
	const json_t *es = rj_arr(h->doc, "evidence_strength"), *cal = rj_obj(h->doc, "evidence_calibration");
	double lead = NAN, best = -INFINITY;
	const char *lead_family = NULL;
	size_t i;

	if (!arr_size(es))
		return;
	h_raw(h, "<h3>Evidence strength per teacher family</h3>\n<p>Likelihood ratio LR = P(outputs | Hp) / "
		"P(outputs | Hd). Hp: ");
	h_field(h, rj_obj(cal, "propositions"), "hp", RENDER_ABSENT);
	h_raw(h, ". Hd: ");
	h_field(h, rj_obj(cal, "propositions"), "hd", RENDER_ABSENT);
	h_raw(h, ".</p>\n<table class=\"data\">\n<thead><tr><th>Family</th><th class=\"n\">LR</th>"
		"<th class=\"n\">log10 LR</th><th>Verbal (ENFSI 2015)</th><th>Supports</th><th>Bound applied</th>"
		"<th>Calibration</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < json_array_size(es); i++) {
		const json_t *e = rj_at(es, i), *c = rj_obj(e, "calibration");
		double v;

		if (rj_num(e, "log10_lr", &v) && v > best) {
			best = v;
			lead = v;
			lead_family = rj_str(e, "family");
		}
		h_raw(h, "<tr><td>");
		h_field(h, e, "family", RENDER_ABSENT);
		h_raw(h, "</td>");
		h_td_num(h, rf_get(e, "lr", RF_NUM));
		h_td_num(h, rf_get(e, "log10_lr", RF_FIX2));
		h_raw(h, "<td>");
		h_field(h, e, "verbal", RENDER_ABSENT);
		h_raw(h, "</td><td>");
		h_field(h, e, "supports", "-");
		h_raw(h, "</td><td>");
		h_field(h, e, "bound", "-");
		h_f(h, "</td><td>validation %s: Cllr %s, Cllr<sub>min</sub> %s, %s positive and %s negative comparisons"
			"</td></tr>\n", rf_get(c, "id", RF_NUM).s, rf_get(c, "cllr", RF_FIX2).s, rf_get(c, "cllr_min", RF_FIX2).s,
			rf_get(c, "positives", RF_NUM).s, rf_get(c, "negatives", RF_NUM).s);
	}
	h_raw(h, "</tbody>\n</table>\n");
	h_f(h, "<p>The calibration was fitted on labelled models and measured by cross-validation leaving one maker out:"
		" Cllr %s (0 is perfect, 1 is an LR that always says 1), Cllr<sub>min</sub> %s (the best any calibration of"
		" this statistic could do); LRs are kept within %s to %s, what that background can support. An LR is the"
		" strength of the evidence, not the probability that the suspect was distilled.</p>\n",
		rf_get(cal, "cllr", RF_FIX2).s, rf_get(cal, "cllr_min", RF_FIX2).s,
		rf_get(rj_obj(cal, "bound"), "lower", RF_NUM).s, rf_get(rj_obj(cal, "bound"), "upper", RF_NUM).s);
	if (cal)
		h_tippett(h, cal, lead, lead_family);
}

/* A paragraph of the conclusion box: "<b>Label.</b> text" from a render_* call (plain text in tmp). */
static void h_box_para(struct ht *h, const char *label, int rc)
{
	if (!h->rc)
		h->rc = rc;
	if (h->tmp.len && !h->rc) {
		h_f(h, "<p class=\"box\"><strong>%s.</strong> ", label);
		h_plain(h, 0);
		h_raw(h, "</p>\n");
	}
	pbuf_reset(&h->tmp);
}

static void h_summary(struct ht *h)
{
	const json_t *concl = rj_obj(h->doc, "conclusion"), *teachers = rj_arr(h->doc, "teachers");
	const json_t *notes = rj_arr(h->doc, "notes");
	const char *verdict = rj_str(concl, "verdict");
	enum render_verdict rv = render_verdict_of(verdict);
	size_t i, n = arr_size(teachers);

	h_section(h, 1);
	h_f(h, "<div class=\"conclusion %s\">\n<p class=\"lab\">Conclusion: ", verdict_class(rv));
	if (verdict)
		h_verdict(h, verdict);
	else
		h_raw(h, "none recorded");
	h_raw(h, "</p>\n");
	h_lr_lead(h);
	h_raw(h, "<p class=\"head\">");
	if (!h->rc)
		h->rc = render_headline(&h->tmp, h->doc);
	if (h->tmp.len) {
		h_plain(h, 0);
		h_raw(h, ".");
	} else {
		h_raw(h, "The report records no conclusion.");
	}
	h_raw(h, "</p>\n");
	if (rj_str(concl, "statement")) {
		h_raw(h, "<p>");
		h_field(h, concl, "statement", "");
		h_raw(h, "</p>\n");
	}
	h_box_para(h, "Validation", render_validation_words(&h->tmp, h->doc));
	h_box_para(h, "Descriptive signals", render_descriptive_line(&h->tmp, h->doc));
	h_box_para(h, "Robustness", render_robustness_line(&h->tmp, render_concluded_teacher(h->doc)));
	h_box_para(h, "Basis", render_basis_line(&h->tmp, h->doc, render_concluded_teacher(h->doc)));
	h_raw(h, "</div>\n");
	if (!n)
		h_raw(h, "<p>No teacher was tested, so the report makes no comparison.</p>\n");
	if (n) {
		/* compact (class "summary"): with 16 teachers the whole table still fits on page 1 */
		h_raw(h, "<table class=\"data summary\">\n<thead><tr><th>Teacher</th><th>Family</th>"
			"<th>Verdict</th><th class=\"n\">Score</th><th class=\"n\">p-value (corrected)</th>"
			"<th class=\"n\">Rank</th><th class=\"n\">Effect</th><th class=\"n\">Prompts</th></tr></thead>\n"
			"<tbody>\n");
		for (i = 0; i < n; i++) {
			const json_t *t = rj_at(teachers, i);

			h_f(h, "<tr><td><a href=\"#t%zu\">", i + 1);
			h_field(h, t, "model", RENDER_ABSENT);
			h_raw(h, "</a></td><td>");
			h_field(h, t, "family", RENDER_ABSENT);
			h_raw(h, "</td><td>");
			h_verdict(h, rj_str(t, "verdict"));
			h_raw(h, "</td>");
			h_td_num(h, rf_get(t, "score", RF_FIX2));
			h_td_num(h, rf_get(t, "p_value", RF_P));
			h_raw(h, "<td class=\"n\">");
			if (!h->rc)
				h->rc = render_rank_words(&h->tmp, t);
			if (!h->tmp.len)
				h_absent(h, RENDER_ABSENT);
			h_plain(h, 0);
			h_raw(h, "</td>");
			h_td_num(h, rf_get(t, "effect", RF_FIX2));
			h_td_num(h, rf_get(t, "n", RF_NUM));
			h_raw(h, "</tr>\n");
		}
		h_raw(h, "</tbody>\n</table>\n");
		if (any_calibration(teachers))
			h_calchart(h, teachers, (size_t)-1);
		else
			h_bars(h, teachers);
	}
	{
		/* the models that took no part: once, with their reason */
		const json_t *nt = rj_arr(h->doc, "not_tested");

		for (i = 0; i < arr_size(nt); i++) {
			const json_t *x = rj_at(nt, i);

			h_raw(h, i ? "; " : "<p class=\"not-tested\">Not tested: ");
			h_field(h, x, "model", RENDER_ABSENT);
			h_raw(h, " (");
			h_field(h, x, "role", RENDER_ABSENT);
			h_f(h, ", %s prompts shared)", rf_get(x, "shared_prompts", RF_NUM).s);
		}
		if (arr_size(nt))
			h_f(h, ". A model that shares fewer than %s of the suspect's prompts takes no part in the test.</p>\n",
				rf_get(rj_obj(h->doc, "parameters"), "min_prompts", RF_NUM).s);
	}
	h_evidence_strength(h);
	/* the tool's warnings about this scan: after the table, so that the table stays on page 1 */
	if (arr_size(rj_arr(h->doc, "warnings"))) {
		const json_t *w = rj_arr(h->doc, "warnings");

		h_raw(h, "<div class=\"warnings\"><p><strong>Warnings</strong></p>\n<ul>\n");
		for (i = 0; i < json_array_size(w); i++) {
			h_raw(h, "<li>");
			h_jstr(h, json_array_get(w, i));
			h_raw(h, "</li>\n");
		}
		h_raw(h, "</ul></div>\n");
	}
	if (n) {
		h_raw(h, "<ul class=\"summaries\">\n");
		for (i = 0; i < n; i++) {
			const json_t *t = rj_at(teachers, i);

			h_raw(h, "<li><strong>");
			h_field(h, t, "model", "(unnamed teacher)");
			h_raw(h, "</strong>: ");
			h_field(h, t, "summary", "no summary recorded.");
			h_raw(h, "</li>\n");
		}
		h_raw(h, "</ul>\n");
	}
	if (arr_size(notes)) {
		h_raw(h, "<div class=\"notes\"><p><strong>Notes</strong></p>\n<ul>\n");
		for (i = 0; i < json_array_size(notes); i++) {
			h_raw(h, "<li class=\"q\">");
			h_jstr(h, json_array_get(notes, i));
			h_raw(h, "</li>\n");
		}
		h_raw(h, "</ul></div>\n");
	}
	h_raw(h, "<div class=\"scope\">\n<h3>What this report does and does not show</h3>\n<ul>\n");
	for (i = 0; i < 4; i++) {
		h_raw(h, "<li>");
		h_s(h, render_scope[i]);
		h_raw(h, "</li>\n");
	}
	h_raw(h, "</ul>\n</div>\n</section>\n");
}

/* The tool that made the report, as a table row: "provenance 0.4.0, engine 3". */
static void h_tool_row(struct ht *h, const json_t *tool)
{
	h_raw(h, "<tr><th>Tool</th><td>");
	h_field(h, tool, "name", "provenance");
	h_raw(h, " ");
	h_field(h, tool, "version", RENDER_ABSENT);
	h_raw(h, ", engine ");
	h_field(h, tool, "engine", RENDER_ABSENT);
	h_raw(h, "</td></tr>\n");
}

static void h_method(struct ht *h)
{
	const json_t *params = rj_obj(h->doc, "parameters"), *corpus = rj_obj(h->doc, "corpus");
	const json_t *models = rj_arr(corpus, "models"), *tool = rj_obj(h->doc, "tool"), *v;
	static const char *const levels[] = { "strong", "moderate", "weak" };
	const char *key;
	size_t i;

	h_section(h, 2);
	h_raw(h, "<h3>Signals</h3>\n<p>Five separate kinds of evidence are measured for each "
		"teacher:</p>\n<table class=\"kv\">\n");
	for (i = 0; i < 5; i++) {
		h_f(h, "<tr><th>%s <code>%s</code></th><td>", render_signals[i].label,
			render_signals[i].key);
		h_s(h, render_signals[i].plain);
		h_raw(h, "</td></tr>\n");
	}
	h_raw(h, "</table>\n<h3>Reading the numbers</h3>\n<ul>\n");
	for (i = 0; i < 4; i++) {
		h_raw(h, "<li>");
		h_s(h, render_glossary[i]);
		h_raw(h, "</li>\n");
	}
	h_raw(h, "</ul>\n<h3>Control panel</h3>\n<p>");
	h_plain(h, render_suspect_line(&h->tmp, h->doc));
	h_raw(h, "</p>\n");
	if (arr_size(models)) {
		h_raw(h, "<table class=\"data\">\n<thead><tr><th>Model</th><th>Family</th><th>Role</th>"
			"<th class=\"n\">Responses</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < json_array_size(models); i++) {
			const json_t *mo = rj_at(models, i);

			h_raw(h, "<tr><td>");
			h_field(h, mo, "model", RENDER_ABSENT);
			h_raw(h, "</td><td>");
			h_field(h, mo, "family", RENDER_ABSENT);
			h_raw(h, "</td><td>");
			h_field(h, mo, "role", RENDER_ABSENT);
			h_raw(h, "</td>");
			h_td_num(h, rf_get(mo, "responses", RF_NUM));
			h_raw(h, "</tr>\n");
		}
		h_raw(h, "</tbody>\n</table>\n<p>" RENDER_PANEL_WHY "</p>\n");
	} else {
		h_raw(h, "<p>The corpus lists no models.</p>\n");
	}

	h_raw(h, "<h3>Test and thresholds</h3>\n");
	if (!params)
		h_raw(h, "<p>The report records no parameters.</p>\n");
	h_raw(h, "<table class=\"kv\">\n");
	if (params) {
		for (i = 0; i < render_nparams; i++) {
			if (!(v = json_object_get(params, render_params[i].key)) || json_is_null(v))
				continue;
			h_f(h, "<tr><th>%s</th><td>", render_params[i].label);
			h_value(h, v);
			h_raw(h, "</td></tr>\n");
		}
		for (i = 0; i < 3; i++) {
			const json_t *lv = rj_obj(params, levels[i]);

			if (!lv)
				continue;
			h_f(h, "<tr><th>Verdict <span class=\"verdict v-%s\">%s</span></th><td>"
				"p-value (corrected) at most ", levels[i],
				render_verdict_words(render_verdict_of(levels[i])));
			h_num(h, rf_get(lv, "p", RF_P));
			if (present(lv, "effect")) {
				h_raw(h, "; effect ");
				h_field(h, lv, "effect", "");
			}
			h_raw(h, "</td></tr>\n");
		}
		json_object_foreach((json_t *)params, key, v) {
			/* the rest, as recorded: keys this renderer has no words for */
			if (render_param_known(key) || json_is_null(v))
				continue;
			h_raw(h, "<tr><th><code>");
			h_s(h, key);
			h_raw(h, "</code></th><td>");
			h_value(h, v);
			h_raw(h, "</td></tr>\n");
		}
	}
	h_tool_row(h, tool);
	h_kv_code(h, "Pattern library SHA-256", rj_strv(tool, "patterns_sha256"), RENDER_ABSENT);
	h_raw(h, "</table>\n</section>\n");
}

static void h_signal_row(struct ht *h, const char *key, const json_t *sig)
{
	const struct render_signal *rs = render_signal_find(key);

	h_raw(h, "<tr><td>");
	if (rs)
		h_raw(h, rs->label);
	else
		h_s(h, key);
	h_raw(h, "</td>");
	if (json_is_false(json_object_get(sig, "available"))) {
		/* the numbers of a signal that was not measured mean nothing */
		h_raw(h, "<td class=\"n\"><span class=\"absent\">" RENDER_ABSENT "</span></td>"
			"<td class=\"n\"><span class=\"absent\">" RENDER_ABSENT "</span></td>"
			"<td class=\"n\"><span class=\"absent\">" RENDER_ABSENT "</span></td>");
	} else {
		h_td_num(h, rf_get(sig, "statistic", RF_FIX2));
		h_td_num(h, rf_get(sig, "effect", RF_FIX2));
		h_td_num(h, rf_get(sig, "p_value", RF_P));
	}
	h_td_num(h, rf_get(sig, "n", RF_NUM));
	h_raw(h, "<td class=\"ctl-model\">");
	h_field(h, sig, "closest_control", RENDER_ABSENT);
	h_raw(h, "</td><td class=\"detail\">");
	h_plain(h, render_signal_detail(&h->tmp, key, sig));
	h_raw(h, "</td></tr>\n");
}

static void h_signals(struct ht *h, const json_t *t)
{
	const json_t *signals = rj_obj(t, "signals"), *sig;
	const char *key;
	size_t i;

	if (!signals || !json_object_size(signals)) {
		h_raw(h, "<p>No signal was recorded for this teacher.</p>\n");
		return;
	}
	h_raw(h, "<table class=\"data\">\n<thead><tr><th>Signal</th><th class=\"n\">Statistic</th>"
		"<th class=\"n\">Effect</th><th class=\"n\">p-value</th><th class=\"n\">Prompts</th>"
		"<th>Closest control</th><th>Detail</th></tr></thead>\n<tbody>\n");
	/* the known signals in report order, then any others in document order */
	for (i = 0; i < 5; i++)
		if ((sig = rj_obj(signals, render_signals[i].key)))
			h_signal_row(h, render_signals[i].key, sig);
	json_object_foreach((json_t *)signals, key, sig)
		if (json_is_object(sig) && !render_signal_find(key))
			h_signal_row(h, key, sig);
	h_raw(h, "</tbody>\n</table>\n");
}

/* One side of a shared passage: before, <mark>match</mark>, after. */
static void h_side(struct ht *h, const char *who, const json_t *who_name, const json_t *side)
{
	h_f(h, "<div class=\"side\"><div class=\"who\"><span class=\"role\">%s</span>", who);
	if (who_name) {
		h_raw(h, " \xc2\xb7 ");
		h_jstr(h, who_name);
	}
	h_raw(h, "</div><blockquote>");
	if (!side) {
		h_raw(h, "<span class=\"absent\">not recorded</span>");
	} else {
		if (json_is_true(rj_get(side, "before_truncated")))
			h_raw(h, "<span class=\"cut\">\xe2\x80\xa6</span> ");
		h_jstr(h, rj_strv(side, "before"));
		h_raw(h, "<mark>");
		h_jstr(h, rj_strv(side, "match"));
		h_raw(h, "</mark>");
		h_jstr(h, rj_strv(side, "after"));
		if (json_is_true(rj_get(side, "after_truncated")))
			h_raw(h, " <span class=\"cut\">\xe2\x80\xa6</span>");
	}
	h_raw(h, "</blockquote></div>\n");
}

#define PROMPT_MAX_CPS 400   /* a longer prompt is cut on a word boundary, with an ellipsis */

/* A prompt above an excerpt: at most PROMPT_MAX_CPS code points, cut at a space. */
static void h_prompt_text(struct ht *h, const json_t *prompt)
{
	const char *s = json_string_value(prompt);
	size_t len = json_string_length(prompt), i, cps = 0, space = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\n')
			space = i;
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cps++ == PROMPT_MAX_CPS) {
			h_text(h, s, space ? space : i);
			h_raw(h, " <span class=\"cut\">\xe2\x80\xa6</span>");
			return;
		}
	}
	h_text(h, s, len);
}

static void h_spans(struct ht *h, const json_t *t, const json_t *spans)
{
	const json_t *sname = rj_strv(rj_obj(h->doc, "suspect"), "name");
	size_t i;

	for (i = 0; i < arr_size(spans); i++) {
		const json_t *sp = rj_at(spans, i), *su = rj_obj(sp, "suspect"), *te = rj_obj(sp, "teacher");

		h_f(h, "<div class=\"excerpt\">\n<div class=\"head\"><strong>Passage %zu</strong> \xc2\xb7 "
			"prompt <code>", i + 1);
		h_field(h, sp, "prompt_id", "(no id)");
		h_raw(h, "</code>");
		if (present(sp, "tokens"))
			h_f(h, " \xc2\xb7 %s words shared verbatim", rf_get(sp, "tokens", RF_NUM).s);
		if (present(su, "start") || present(te, "start"))
			h_f(h, " \xc2\xb7 suspect characters %s\xe2\x80\x93%s, teacher characters %s\xe2\x80\x93%s",
				rf_get(su, "start", RF_NUM).s, rf_get(su, "end", RF_NUM).s,
				rf_get(te, "start", RF_NUM).s, rf_get(te, "end", RF_NUM).s);
		h_raw(h, "</div>\n");
		if (rj_strv(sp, "prompt")) {
			h_raw(h, "<div class=\"prompt\"><div class=\"who\"><span class=\"role\">Prompt</span></div><blockquote>");
			h_prompt_text(h, rj_strv(sp, "prompt"));
			h_raw(h, "</blockquote></div>\n");
		}
		h_raw(h, "<div class=\"pair\">\n");
		h_side(h, "Suspect", sname, su);
		h_side(h, "Teacher", rj_strv(t, "model"), te);
		h_raw(h, "</div>\n</div>\n");
	}
}

static void h_refusals(struct ht *h, const json_t *refusals)
{
	size_t i;

	h_raw(h, "<table class=\"data\">\n<thead><tr><th>Prompt</th><th>Template family</th>"
		"<th>Suspect's answer</th><th>Teacher's answer</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < arr_size(refusals); i++) {
		const json_t *r = rj_at(refusals, i);

		h_raw(h, "<tr><td><code>");
		h_field(h, r, "prompt_id", "(no id)");
		h_raw(h, "</code></td><td>");
		h_field(h, r, "family", RENDER_ABSENT);
		h_raw(h, "</td><td class=\"q\">");
		h_field(h, r, "suspect", RENDER_ABSENT);
		h_raw(h, "</td><td class=\"q\">");
		h_field(h, r, "teacher", RENDER_ABSENT);
		h_raw(h, "</td></tr>\n");
	}
	h_raw(h, "</tbody>\n</table>\n");
}

/* Each claim quoted with its prompt id, what it claims and the pattern that found it. */
static void h_claims(struct ht *h, const json_t *claims)
{
	size_t i;

	h_raw(h, "<ul class=\"claims\">\n");
	for (i = 0; i < arr_size(claims); i++) {
		const json_t *c = rj_at(claims, i);

		h_raw(h, "<li>Prompt <code>");
		h_field(h, c, "prompt_id", "(no id)");
		h_raw(h, "</code>");
		if (rj_str(c, "claims")) {
			h_raw(h, ", claims <strong>");
			h_field(h, c, "claims", "");
			h_raw(h, "</strong>");
		}
		if (rj_str(c, "family")) {
			h_raw(h, ", template family <strong>");
			h_field(h, c, "family", "");
			h_raw(h, "</strong>");
		}
		if (rj_str(c, "kind")) {
			h_raw(h, " (");
			h_field(h, c, "kind", "");
			h_raw(h, ")");
		}
		if (rj_str(c, "pattern")) {
			h_raw(h, ", pattern <code>");
			h_field(h, c, "pattern", "");
			h_raw(h, "</code>");
		}
		h_raw(h, ":<blockquote>");
		h_field(h, c, "text", "(no text recorded)");
		h_raw(h, "</blockquote></li>\n");
	}
	h_raw(h, "</ul>\n");
}

static void h_phrases(struct ht *h, const json_t *top)
{
	const char *const *f = render_phrase_fields[render_phrase_unit(top)];
	size_t i;

	h_f(h, "<table class=\"data\">\n<thead><tr><th>Phrase</th><th>Where</th><th class=\"n\">Suspect<br>%s</th>"
		"<th class=\"n\">Teacher</th><th class=\"n\">Controls</th></tr></thead>\n<tbody>\n",
		render_phrase_unit(top) ? "share of answers" : "per 1,000 words");
	for (i = 0; i < arr_size(top); i++) {
		const json_t *p = rj_at(top, i);

		h_raw(h, "<tr><td>\xe2\x80\x9c");
		/* the surface form the models wrote (accents, final sigma), else the normalised tokens */
		h_field(h, p, rj_str(p, "surface") ? "surface" : "phrase", RENDER_ABSENT);
		h_raw(h, "\xe2\x80\x9d</td><td>");
		h_s(h, render_phrase_where(p));
		h_raw(h, "</td>");
		h_td_num(h, rf_get(p, f[0], RF_NUM));
		h_td_num(h, rf_get(p, f[1], RF_NUM));
		h_td_num(h, rf_get(p, f[2], RF_NUM));
		h_raw(h, "</tr>\n");
	}
	h_raw(h, "</tbody>\n</table>\n");
}

static void h_features(struct ht *h, const json_t *features)
{
	size_t i;

	h_raw(h, "<table class=\"data\">\n<thead><tr><th>Feature</th><th class=\"n\">Suspect</th>"
		"<th class=\"n\">Teacher</th><th class=\"n\">Controls (mean)</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < arr_size(features); i++) {
		const json_t *f = rj_at(features, i);

		h_raw(h, "<tr><td>");
		h_field(h, f, "name", RENDER_ABSENT);
		h_raw(h, "</td>");
		h_td_num(h, rf_get(f, "suspect", RF_NUM));
		h_td_num(h, rf_get(f, "teacher", RF_NUM));
		h_td_num(h, rf_get(f, "controls", RF_NUM));
		h_raw(h, "</tr>\n");
	}
	h_raw(h, "</tbody>\n</table>\n");
}

static void h_teacher(struct ht *h, const json_t *t, size_t idx)
{
	const json_t *controls = rj_arr(t, "controls"), *ev = rj_obj(t, "evidence");
	const json_t *signals = rj_obj(t, "signals");
	const json_t *top = rj_arr(rj_obj(signals, "phrases"), "top");
	const json_t *features = rj_arr(rj_obj(signals, "style"), "features");
	size_t i;

	h_f(h, "<div class=\"teacher\">\n<h3 id=\"t%zu\">3.%zu ", idx + 1, idx + 1);
	h_field(h, t, "model", "(unnamed teacher)");
	if (rj_str(t, "family")) {
		h_raw(h, " (");
		h_field(h, t, "family", "");
		h_raw(h, ")");
	}
	h_raw(h, ": ");
	h_verdict(h, rj_str(t, "verdict"));
	h_raw(h, "</h3>\n<table class=\"kv\">\n<tr><th>Score</th><td>");
	h_num(h, rf_get(t, "score", RF_FIX2));
	h_raw(h, "</td></tr>\n<tr><th>p-value (corrected)</th><td>");
	h_num(h, rf_get(t, "p_value", RF_P));
	h_raw(h, "</td></tr>\n<tr><th>p-value (before correction)</th><td>");
	h_num(h, rf_get(t, "p_raw", RF_P));
	h_raw(h, "</td></tr>\n<tr><th>Effect</th><td>");
	h_num(h, rf_get(t, "effect", RF_FIX2));
	h_raw(h, "</td></tr>\n<tr><th>Prompts compared</th><td>");
	h_num(h, rf_get(t, "n", RF_NUM));
	h_raw(h, "</td></tr>\n");
	h_kv_field(h, "Closest control", t, "closest_control");
	if (rj_obj(t, "panel")) {
		h_raw(h, "<tr><th>Against the mean of the panel</th><td>");
		h_plain(h, render_panel_line(&h->tmp, t));
		h_raw(h, "</td></tr>\n");
	}
	if (rj_obj(t, "null")) {
		h_raw(h, "<tr><th>Control models in the suspect's place</th><td>");
		h_plain(h, render_null_line(&h->tmp, t));
		h_raw(h, "</td></tr>\n");
	}
	if (rj_obj(t, "robustness")) {
		h_raw(h, "<tr><th>Robustness</th><td>");
		h_plain(h, render_robustness_line(&h->tmp, t));
		h_raw(h, "</td></tr>\n");
	}
	if (rj_obj(t, "prompts_needed") || rj_obj(t, "identical")) {
		h_raw(h, "<tr><th>Basis of the verdict</th><td>");
		h_plain(h, render_basis_line(&h->tmp, h->doc, t));
		h_raw(h, "</td></tr>\n");
	}
	h_raw(h, "</table>\n");
	if (rj_obj(t, "calibration")) {
		h_raw(h, "<h4>Calibration against the null models</h4>\n<p>");
		h_plain(h, render_calibration_line(&h->tmp, t));
		h_raw(h, "</p>\n");
		h_calchart(h, rj_arr(h->doc, "teachers"), idx);
		if (arr_size(rj_arr(rj_obj(t, "calibration"), "null"))) {
			const json_t *nul = rj_arr(rj_obj(t, "calibration"), "null");

			h_raw(h, "<table class=\"data\">\n<thead><tr><th>Null model</th><th class=\"n\">Statistic</th>"
				"<th>Outlier</th></tr></thead>\n<tbody>\n");
			for (i = 0; i < json_array_size(nul); i++) {
				const json_t *nm = rj_at(nul, i), *o = rj_get(nm, "outlier");

				h_raw(h, "<tr><td>");
				h_field(h, nm, "model", RENDER_ABSENT);
				h_raw(h, "</td>");
				h_td_num(h, rf_get(nm, "statistic", RF_FIX2));
				h_raw(h, "<td>");
				if (json_is_boolean(o))
					h_raw(h, json_is_true(o) ? "yes" : "no");
				else
					h_absent(h, RENDER_ABSENT);
				h_raw(h, "</td></tr>\n");
			}
			h_raw(h, "</tbody>\n</table>\n");
		}
	}
	if (arr_size(rj_arr(t, "contaminated_controls"))) {
		const json_t *cc = rj_arr(t, "contaminated_controls");

		h_raw(h, "<h4>Contaminated controls</h4>\n<p>These control models are themselves closer to the teacher "
			"than the other controls are; they may derive from it, which makes the comparison more "
			"cautious.</p>\n<table class=\"data\">\n<thead><tr><th>Control</th><th class=\"n\">Statistic</th>"
			"<th class=\"n\">t</th><th class=\"n\">p-value</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < json_array_size(cc); i++) {
			h_raw(h, "<tr><td>");
			h_field(h, rj_at(cc, i), "model", RENDER_ABSENT);
			h_raw(h, "</td>");
			h_td_num(h, rf_get(rj_at(cc, i), "statistic", RF_FIX2));
			h_td_num(h, rf_get(rj_at(cc, i), "t", RF_FIX2));
			h_td_num(h, rf_get(rj_at(cc, i), "p_value", RF_P));
			h_raw(h, "</tr>\n");
		}
		h_raw(h, "</tbody>\n</table>\n");
	}
	h_raw(h, "<div class=\"keep\"><h4>Signals</h4>\n");
	h_signals(h, t);
	h_raw(h, "</div>\n");

	if (arr_size(controls)) {
		h_raw(h, "<div class=\"keep\"><h4>Against each control</h4>\n<p>Descriptive: the suspect's answers "
			"against each control's, prompt by prompt; the closest control is the one with the largest p-value. "
			"No verdict rests on these comparisons (the calibrated test above decides).</p>\n"
			"<table class=\"data\">\n<thead><tr><th>Control</th><th class=\"n\">z</th>"
			"<th class=\"n\">Effect</th><th class=\"n\">p-value</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < json_array_size(controls); i++) {
			const json_t *c = rj_at(controls, i);

			h_raw(h, "<tr><td>");
			h_field(h, c, "model", RENDER_ABSENT);
			h_raw(h, "</td>");
			h_td_num(h, rf_get(c, "z", RF_FIX2));
			h_td_num(h, rf_get(c, "effect", RF_FIX2));
			h_td_num(h, rf_get(c, "p_value", RF_P));
			h_raw(h, "</tr>\n");
		}
		h_raw(h, "</tbody>\n</table>\n</div>\n");
	}
	if (rj_arr(rj_obj(t, "distribution"), "counts")) {
		h_raw(h, "<div class=\"keep\"><h4>Per-prompt differences against the closest control</h4>\n");
		h_histogram(h, t);
		h_raw(h, "</div>\n");
	}

	h_raw(h, "<h4>Shared passages</h4>\n");
	if (arr_size(rj_arr(ev, "spans"))) {
		h_raw(h, "<p>The longest word-for-word passages shared by the suspect's and the "
			"teacher's answers to the same prompt, under the prompt; the shared words are "
			"<mark>highlighted</mark>, and \xe2\x80\xa6 marks where the excerpt cuts the answer.</p>\n");
		h_spans(h, t, rj_arr(ev, "spans"));
	} else {
		h_raw(h, "<p>None recorded.</p>\n");
	}
	h_raw(h, "<div class=\"keep\"><h4>Refusals with the teacher's template</h4>\n");
	if (arr_size(rj_arr(ev, "refusals")))
		h_refusals(h, rj_arr(ev, "refusals"));
	else
		h_raw(h, "<p>None recorded.</p>\n");
	h_raw(h, "</div>\n<h4>Identity claims</h4>\n");
	if (arr_size(rj_arr(ev, "identity"))) {
		h_raw(h, "<p>Quoted from the suspect's answers. A signal, never proof on its own.</p>\n");
		h_claims(h, rj_arr(ev, "identity"));
	} else {
		h_raw(h, "<p>None recorded.</p>\n");
	}
	if (arr_size(top)) {
		h_raw(h, "<div class=\"keep\"><h4>Characteristic phrases</h4>\n<p>Phrases typical of "
			"the teacher compared with other assistants, and how often each model uses "
			"them.</p>\n");
		h_phrases(h, top);
		h_raw(h, "</div>\n");
	}
	if (arr_size(features)) {
		h_raw(h, "<div class=\"keep\"><h4>Style features</h4>\n");
		h_features(h, features);
		h_raw(h, "</div>\n");
	}
	h_raw(h, "</div>\n");
}

static void h_evidence(struct ht *h)
{
	const json_t *teachers = rj_arr(h->doc, "teachers");
	const json_t *claims = rj_arr(h->doc, "identity_claims"), *refusals = rj_arr(h->doc, "refusals");
	size_t i, n = arr_size(teachers);

	h_section(h, 3);
	if (!n)
		h_raw(h, "<p>No teacher was tested, so there is no evidence to show.</p>\n");
	for (i = 0; i < n; i++)
		if (rj_at(teachers, i))
			h_teacher(h, rj_at(teachers, i), i);
	h_f(h, "<h3>3.%zu Identity claims and refusals anywhere in the suspect's answers</h3>\n", n + 1);
	h_raw(h, "<h4>Identity claims</h4>\n");
	if (arr_size(claims))
		h_claims(h, claims);
	else
		h_raw(h, "<p>No identity claim was found.</p>\n");
	h_raw(h, "<h4>Refusals</h4>\n");
	if (arr_size(refusals))
		h_claims(h, refusals);
	else
		h_raw(h, "<p>No refusal was found.</p>\n");
	h_raw(h, "</section>\n");
}

static void h_error_rates(struct ht *h)
{
	const json_t *er = rj_obj(h->doc, "error_rates"), *rows = rj_arr(er, "rows"), *v;
	const char *status = rj_str(er, "status"), *key;
	json_t *cols;
	size_t i, j;

	h_section(h, 4);
	h_raw(h, "<p>");
	if (rj_str(er, "statement"))
		h_field(h, er, "statement", "");
	else
		h_raw(h, "The report records no error rates.");
	h_raw(h, "</p>\n");
	if (status) {
		h_raw(h, "<p>Validation status: <strong>");
		h_s(h, status);
		h_raw(h, "</strong>.</p>\n");
	}
	if (status && !strcmp(status, "available") && arr_size(rows)) {
		if (!(cols = render_rate_columns(rows))) {
			h->rc = h->rc ? h->rc : PROV_ENOMEM;
			return;
		}
		h_raw(h, "<table class=\"data\">\n<thead><tr>");
		for (j = 0; j < json_array_size(cols); j++) {
			const char *c = json_string_value(json_array_get(cols, j));

			h_raw(h, "<th>");
			if (render_rate_label(c))
				h_raw(h, render_rate_label(c));
			else
				h_s(h, c);
			h_raw(h, "</th>");
		}
		h_raw(h, "</tr></thead>\n<tbody>\n");
		for (i = 0; i < json_array_size(rows); i++) {
			h_raw(h, "<tr>");
			for (j = 0; j < json_array_size(cols); j++) {
				v = json_object_get(json_array_get(rows, i),
					json_string_value(json_array_get(cols, j)));
				if (json_is_integer(v)) {
					h_td_num(h, rf_get(json_array_get(rows, i),
						json_string_value(json_array_get(cols, j)), RF_NUM));
					continue;
				}
				if (json_is_real(v)) {
					h_td_num(h, rf_rate(json_real_value(v)));
					continue;
				}
				h_raw(h, "<td>");
				if (v && !json_is_null(v))
					h_rate_value(h, v);
				else
					h_absent(h, RENDER_ABSENT);
				h_raw(h, "</td>");
			}
			h_raw(h, "</tr>\n");
		}
		h_raw(h, "</tbody>\n</table>\n");
		json_decref(cols);
	}
	/* anything else the producer recorded (data set, date, tool version ...) */
	i = 0;
	json_object_foreach((json_t *)er, key, v) {
		if (!strcmp(key, "statement") || !strcmp(key, "rows") || !strcmp(key, "status") ||
		    json_is_null(v))
			continue;
		if (!i++)
			h_raw(h, "<table class=\"kv\">\n");
		h_raw(h, "<tr><th>");
		if (render_rate_label(key))
			h_raw(h, render_rate_label(key));
		else
			h_s(h, key);
		h_raw(h, "</th><td>");
		h_rate_value(h, v);
		h_raw(h, "</td></tr>\n");
	}
	if (i)
		h_raw(h, "</table>\n");
	h_raw(h, "</section>\n");
}

static void h_limitations(struct ht *h)
{
	const json_t *lim = rj_arr(h->doc, "limitations");
	size_t i;

	h_section(h, 5);
	if (!arr_size(lim))
		h_raw(h, "<p>The report lists no limitations; those of section 1 still apply.</p>\n");
	else
		h_raw(h, "<ol>\n");
	for (i = 0; i < arr_size(lim); i++) {
		h_raw(h, "<li class=\"q\">");
		h_jstr(h, json_array_get(lim, i));
		h_raw(h, "</li>\n");
	}
	if (arr_size(lim))
		h_raw(h, "</ol>\n");
	h_raw(h, "</section>\n");
}

static void h_custody(struct ht *h)
{
	const json_t *cs = rj_obj(h->doc, "case"), *tool = rj_obj(h->doc, "tool");
	const json_t *sus = rj_obj(h->doc, "suspect"), *corpus = rj_obj(h->doc, "corpus");
	const json_t *params = rj_obj(h->doc, "parameters"), *v;
	const char *key, *p;
	int rc, code;

	h_section(h, 6);
	h_raw(h, "<p>");
	for (p = render_custody_text, code = 0; *p; code = !code) {
		size_t n = strcspn(p, "`");

		h_raw(h, code ? "<code>" : "");
		h_text(h, p, n);
		h_raw(h, code ? "</code>" : "");
		p += n + (p[n] == '`');
	}
	h_raw(h, "</p>\n<table class=\"kv\">\n");
	h_kv_code(h, "Suspect file", rj_strv(sus, "path"), RENDER_ABSENT);
	h_kv_code(h, "Suspect file SHA-256", rj_strv(sus, "sha256"), RENDER_ABSENT);
	if (present(sus, "size") || present(sus, "lines")) {
		h_raw(h, "<tr><th>Suspect file size</th><td>");
		h_num(h, rf_get(sus, "size", RF_NUM));
		h_raw(h, " bytes, ");
		h_num(h, rf_get(sus, "lines", RF_NUM));
		h_raw(h, " lines</td></tr>\n");
	}
	h_kv_code(h, "Corpus snapshot SHA-256", rj_strv(corpus, "snapshot_sha256"), RENDER_ABSENT);
	h_kv_field(h, "Case", cs, "id");
	h_kv_field(h, "Case created (UTC)", cs, "created_at");
	h_kv_code(h, "Case hash", rj_strv(cs, "hash"), RENDER_ABSENT);
	h_kv_code(h, "Previous case hash", rj_strv(cs, "previous_hash"),
		"none (the first case of the chain)");
	h_kv_code(h, "Pattern library SHA-256", rj_strv(tool, "patterns_sha256"), RENDER_ABSENT);
	h_tool_row(h, tool);
	h_raw(h, "</table>\n<h3>Parameters as recorded</h3>\n");
	if (!params || !json_object_size(params)) {
		h_raw(h, "<p>None recorded.</p>\n");
	} else {
		h_raw(h, "<table class=\"kv\">\n");
		json_object_foreach((json_t *)params, key, v) {
			h_raw(h, "<tr><th><code>");
			h_s(h, key);
			h_raw(h, "</code></th><td>");
			h_value(h, v);
			h_raw(h, "</td></tr>\n");
		}
		h_raw(h, "</table>\n");
	}
	h_raw(h, "<h3>Re-verify and re-run</h3>\n<pre><code>");
	if (!h->rc) {
		rc = render_commands(&h->tmp, h->doc);
		h_plain(h, rc);
	}
	h_raw(h, "</code></pre>\n</section>\n");
}

/* ------------------------------------------------------------------ */
/* The own-control test (scan --logged --fresh): section 7, or the whole report without a corpus */

static void h_ownctl_file(struct ht *h, const char *label, const json_t *f)
{
	h_f(h, "<tr><th>%s</th><td><code>", label);
	h_field(h, f, "path", RENDER_ABSENT);
	h_raw(h, "</code>, SHA-256 <code>");
	h_field(h, f, "sha256", RENDER_ABSENT);
	h_raw(h, "</code>, ");
	h_num(h, rf_get(f, "answers", RF_NUM));
	h_raw(h, " answers</td></tr>\n");
}

static void h_own_control(struct ht *h, int num)
{
	const json_t *ss = rj_obj(h->doc, "sample_specific"), *ex = rj_arr(ss, "excerpts");
	const json_t *sname = rj_strv(rj_obj(h->doc, "suspect"), "name");
	size_t i, j;

	if (!ss)
		return;
	if (num)
		h_f(h, "\n<section id=\"s%d\" class=\"major\">\n<h2><span class=\"num\">%d</span>%s</h2>\n", num, num,
			render_ownctl_title);
	else
		h_f(h, "\n<section id=\"own-control\" class=\"major first\">\n<h2>%s</h2>\n", render_ownctl_title);
	h_raw(h, "<p><strong>");
	if (!h->rc)
		h_plain(h, render_ownctl_result(&h->tmp, ss));
	h_raw(h, "</strong></p>\n<p><strong>Assumptions.</strong> ");
	h_s(h, render_ownctl_assumptions);
	h_raw(h, "</p>\n<p>");
	h_s(h, render_ownctl_breaks);
	h_raw(h, "</p>\n<table class=\"kv\">\n");
	h_f(h, "<tr><th>Statistic: word %s-grams of the suspect found in the logged answer and in no fresh one, "
		"summed over prompts</th><td>%s</td></tr>\n", rf_get(ss, "ngram", RF_NUM).s,
		rf_get(ss, "statistic", RF_NUM).s);
	h_f(h, "<tr><th>Expected by chance (mean \xc2\xb1 SD over the relabellings)</th><td>%s \xc2\xb1 %s (z = %s)"
		"</td></tr>\n", rf_get(ss, "null_mean", RF_FIX2).s, rf_get(ss, "null_sd", RF_FIX2).s,
		rf_get(ss, "z", RF_FIX2).s);
	h_f(h, "<tr><th>Mean per prompt: logged answer / fresh answers</th><td>%s / %s</td></tr>\n",
		rf_get(ss, "mean_logged", RF_FIX2).s, rf_get(ss, "mean_fresh", RF_FIX2).s);
	h_f(h, "<tr><th>Effect (mean per-prompt excess / its SD)</th><td>%s</td></tr>\n",
		rf_get(ss, "effect", RF_FIX2).s);
	h_raw(h, "<tr><th>p-value (one-sided)</th><td>");
	h_num(h, rf_get(ss, "p_value", RF_P));
	h_raw(h, "</td></tr>\n<tr><th>Computed</th><td>");
	if (!h->rc)
		h_plain(h, render_ownctl_method(&h->tmp, ss));
	h_f(h, "</td></tr>\n<tr><th>Prompts tested</th><td>%s</td></tr>\n<tr><th>Fresh answers per prompt</th><td>%s",
		rf_get(ss, "prompts", RF_NUM).s, rf_get(ss, "fresh_per_prompt", RF_NUM).s);
	if (present(ss, "fresh_per_prompt_max"))
		h_f(h, " to %s", rf_get(ss, "fresh_per_prompt_max", RF_NUM).s);
	h_f(h, "</td></tr>\n<tr><th>Logged prompts left out: no suspect answer / no fresh answer</th><td>%s / %s"
		"</td></tr>\n", rf_get(ss, "logged_without_suspect", RF_NUM).s,
		rf_get(ss, "logged_without_fresh", RF_NUM).s);
	h_ownctl_file(h, "Logged answers", rj_obj(ss, "logged"));
	for (i = 0; i < arr_size(rj_arr(ss, "fresh")); i++)
		h_ownctl_file(h, "Fresh answers", rj_at(rj_arr(ss, "fresh"), i));
	h_raw(h, "</table>\n<h3>Passages shared with the logged answer and with no fresh answer</h3>\n");
	if (!arr_size(ex))
		h_raw(h, "<p>None: no prompt has a passage of the suspect's answer found in the logged answer and in no "
			"fresh one, on a prompt where the logged answer is closer than the fresh ones.</p>\n");
	for (i = 0; i < arr_size(ex); i++) {
		const json_t *e = rj_at(ex, i), *spans = rj_arr(e, "spans");

		h_f(h, "<div class=\"excerpt\">\n<div class=\"head\"><strong>%zu.</strong> prompt <code>", i + 1);
		h_field(h, e, "prompt_id", "(no id)");
		h_f(h, "</code> \xc2\xb7 %s word %s-grams shared with the logged answer only; %s on average with each "
			"fresh answer only</div>\n", rf_get(e, "logged_similarity", RF_NUM).s, rf_get(ss, "ngram", RF_NUM).s,
			rf_get(e, "fresh_similarity", RF_FIX2).s);
		if (rj_strv(e, "prompt")) {
			h_raw(h, "<div class=\"prompt\"><div class=\"who\"><span class=\"role\">Prompt</span></div><blockquote>");
			h_prompt_text(h, rj_strv(e, "prompt"));
			h_raw(h, "</blockquote></div>\n");
		}
		for (j = 0; j < arr_size(spans); j++) {
			const json_t *sp = rj_at(spans, j);

			h_f(h, "<div class=\"head\">Passage %zu \xc2\xb7 %s words</div>\n<div class=\"pair\">\n", j + 1,
				rf_get(sp, "tokens", RF_NUM).s);
			h_side(h, "Suspect", sname, rj_obj(sp, "suspect"));
			h_side(h, "Logged teacher answer", NULL, rj_obj(sp, "logged"));
			h_raw(h, "</div>\n");
		}
		h_raw(h, "</div>\n");
	}
	h_raw(h, "<h3>Run the test again</h3>\n<pre><code>");
	if (!h->rc)
		h_plain(h, render_ownctl_command(&h->tmp, h->doc));
	h_raw(h, "</code></pre>\n</section>\n");
}

/* A report that holds the own-control test alone (scan --logged --fresh without a corpus). */
static void h_ownctl_only(struct ht *h)
{
	const json_t *tool = rj_obj(h->doc, "tool"), *sus = rj_obj(h->doc, "suspect");

	h_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>Provenance report: own-control test</title>\n<style>\n");
	h_raw(h, css);
	h_raw(h, "</style>\n</head>\n<body>\n");
	if (render_unstored_notice(h->doc))
		h_raw(h, "<p class=\"unstored\">Not a stored case: there was no evidence database, so this report has no "
			"case id, no case hash and no chain of custody.</p>\n");
	h_raw(h, "<header class=\"masthead\">\n<div class=\"lab\">Forensic comparison of language-model outputs</div>\n"
		"<h1>Provenance report: own-control test</h1>\n<p class=\"sub\">Was the suspect model trained on the "
		"logged answers of a teacher model? The suspect is compared with the logged answers and with fresh "
		"answers of the same teacher; no corpus and no control models are used.</p>\n<table class=\"kv\">\n");
	h_kv_field(h, "Suspect model", sus, "name");
	h_kv_code(h, "Suspect file", rj_strv(sus, "path"), RENDER_ABSENT);
	h_kv_code(h, "Suspect file SHA-256", rj_strv(sus, "sha256"), RENDER_ABSENT);
	h_raw(h, "<tr><th>Tool</th><td>");
	h_field(h, tool, "name", "provenance");
	h_raw(h, " ");
	h_field(h, tool, "version", RENDER_ABSENT);
	h_raw(h, "</td></tr>\n</table>\n</header>\n<main>\n");
	h_own_control(h, 0);
	h_raw(h, "</main>\n</body>\n</html>\n");
}

int render_html(struct pbuf *out, const json_t *report)
{
	const json_t *cs;
	struct ht h;
	int rc;

	if ((rc = render_validate(report)))
		return rc;
	h.out = out;
	h.doc = report;
	h.rc = 0;
	h.figure = 0;
	pbuf_init(&h.tmp, RENDER_PLAIN_MAX);
	if (render_ownctl_only(report)) {
		h_ownctl_only(&h);
		goto done;
	}
	h_header(&h);
	h_raw(&h, "<main>\n");
	h_summary(&h);
	h_method(&h);
	h_evidence(&h);
	h_error_rates(&h);
	h_limitations(&h);
	h_custody(&h);
	h_own_control(&h, 7);
	cs = rj_obj(report, "case");
	h_raw(&h, "</main>\n<footer>End of report for case ");
	h_field(&h, cs, "id", RENDER_ABSENT);
	h_raw(&h, " \xc2\xb7 case hash ");
	h_code(&h, rj_strv(cs, "hash"), RENDER_ABSENT);
	h_raw(&h, "</footer>\n</body>\n</html>\n");
done:
	pbuf_release(&h.tmp);
	if (h.rc == PROV_EDATA && prov_error_code() == PROV_EDATA &&
	    strncmp(prov_error_msg(), "report: ", 8) != 0)
		return prov_error(PROV_EDATA, "report: the HTML would be longer than %zu bytes", out->max);
	return h.rc;
}
