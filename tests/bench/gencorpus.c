/*
 * gencorpus: a synthetic corpus for `make bench` (needs no external data).
 *
 *   gencorpus SCALE DIR [VARIANTS]
 *
 * SCALE 1, 4 or 16 (any positive number works): 25 * SCALE models, a tenth of
 * them teachers, answering 805 base prompts each; the prompts come in
 * V variants (the largest power of 3 up to 2.25 * sqrt(SCALE): 1x: 805, 4x: 2,415,
 * 16x: 7,245 prompts), and each model answers one variant of every base
 * prompt, so every model has 805 answers and each prompt about 805 * models /
 * prompts of them. Models belong to families of about 5 that share a house
 * style (openers, closers, stock phrases); the first family of every ten is a
 * teacher family. Writes DIR/mNNNN.jsonl (one model each) and DIR/roles.tsv
 * (file, model, role, family). Deterministic: the same SCALE gives the same bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE_PROMPTS 805
#define VOCAB 3000
#define FAMILY_SIZE 5

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static char words[VOCAB][16];

static void make_vocab(void)
{
	static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi",
		"gu", "he", "ja", "ko", "le", "mu", "no", "pi", "qua", "re", "si", "tu", "wa", "xe", "yo", "zu" };
	size_t ns = sizeof(syl) / sizeof(syl[0]), i;

	for (i = 0; i < VOCAB; i++) {
		uint64_t h = mix(i + 1);
		int n = 1 + (int)(h % 3), k;

		size_t off = 0;

		for (k = 0; k < n; k++)
			off += (size_t)snprintf(words[i] + off, sizeof(words[i]) - off, "%s", syl[(h >> (8 * (k + 1))) % ns]);
		/* make every word unique */
		snprintf(words[i] + off, sizeof(words[i]) - off, "%c", 'a' + (int)(i % 26));
	}
}

static const char *w(uint64_t h)
{
	return words[h % VOCAB];
}

int main(int argc, char **argv)
{
	double scale;
	int nmodels, nteach, variants = 1, m;
	char path[4096];
	FILE *roles;

	if ((argc != 3 && argc != 4) || (scale = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: gencorpus SCALE DIR [VARIANTS]\n");
		return 2;
	}
	nmodels = (int)(25 * scale + 0.5);
	nteach = nmodels / 10 > 0 ? nmodels / 10 : 1;
	while (variants * 3 <= sqrt(scale) * 2.25)   /* 1x: 1, 4x: 3, 16x: 9 */
		variants *= 3;
	if (argc == 4 && (variants = atoi(argv[3])) < 1) {
		fprintf(stderr, "gencorpus: VARIANTS must be at least 1\n");
		return 2;
	}
	make_vocab();
	snprintf(path, sizeof(path), "%s/roles.tsv", argv[2]);
	roles = fopen(path, "w");
	if (!roles) {
		perror(path);
		return 1;
	}
	fprintf(roles, "file\tmodel\trole\tfamily\n");
	for (m = 0; m < nmodels; m++) {
		int fam = m / FAMILY_SIZE, teacher = m < nteach, b;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/m%04d.jsonl", argv[2], m);
		fp = fopen(path, "w");
		if (!fp) {
			perror(path);
			return 1;
		}
		/* teachers: families 0.. of their own; references: families of five */
		if (teacher)
			fam = m % 3;
		else
			fam = 100 + m / FAMILY_SIZE;
		fprintf(roles, "m%04d.jsonl\tgen%04d\t%s\tfam%03d\n", m, m, teacher ? "teacher" : "reference", fam);
		for (b = 0; b < BASE_PROMPTS; b++) {
			uint64_t hv = mix(((uint64_t)m << 32) ^ (uint64_t)b ^ 0x5151), h;
			int v = (int)(hv % (uint64_t)variants), len, k;
			uint64_t topic = mix((uint64_t)b * 7919 + 17), fh = mix((uint64_t)fam * 104729 + 3);

			fprintf(fp, "{\"id\": \"g%04d-%d\", \"prompt\": \"Question %d (variant %d): tell me about %s %s.\", "
				"\"response\": \"", b, v, b, v, w(topic), w(topic >> 20));
			/* the family's opener, the topic, the model's own words with family stock phrases, a closer */
			fprintf(fp, "%s %s %s!", w(fh), w(fh >> 11), w(fh >> 22));
			h = hv;
			len = 40 + (int)(mix(hv) % 160);
			for (k = 0; k < len; k++) {
				h = mix(h + (uint64_t)k);
				if (k % 9 == 0)
					fprintf(fp, " %s %s", w(topic >> (k % 40)), w(topic >> ((k + 7) % 40)));
				else if (h % 7 == 0)
					fprintf(fp, " %s", w(fh >> (h % 40)));
				else
					fprintf(fp, " %s", w(h >> 7));
				if (h % 13 == 0)
					fputs(h % 2 ? "." : ",", fp);
				if (h % 97 == 0)
					fputs("\\n\\n- ", fp);
			}
			fprintf(fp, ". %s %s.\", \"model\": \"gen%04d\"}\n", w(fh >> 33), w(fh >> 44), m);
		}
		if (fclose(fp)) {
			perror(path);
			return 1;
		}
	}
	return fclose(roles) ? 1 : 0;
}
