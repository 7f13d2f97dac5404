/*
 * unit.h: a small unit-test harness. Each test file defines test functions
 * and lists them with UNIT_MAIN; the binary prints one line per test:
 *   ok - <file>: <name>        not ok - <file>: <name>        skip - <file>: <name> (why)
 * which tests/run.sh counts.
 */
#ifndef PROV_UNIT_H
#define PROV_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed;
static const char *unit_skip_reason;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		unit_failed = 1; \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	if (va_ != vb_) { \
		printf("#   %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, va_, #b, vb_); \
		unit_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *sa_ = (a), *sb_ = (b); \
	if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) { \
		printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
		unit_failed = 1; \
	} \
} while (0)

#define CHECK_NEAR(a, b, eps) do { \
	double da_ = (a), db_ = (b); \
	if (!(fabs(da_ - db_) <= (eps))) { \
		printf("#   %s:%d: %s == %.10g, expected %.10g (+-%g)\n", __FILE__, __LINE__, #a, da_, db_, \
			(double)(eps)); \
		unit_failed = 1; \
	} \
} while (0)

#define SKIP(why) do { unit_skip_reason = (why); return; } while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_TEST(fn) { #fn, fn }

static inline int unit_run(const char *file, const struct unit_test *t, size_t n, int argc, char **argv)
{
	size_t i;
	int any_failed = 0;

	for (i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], t[i].name) != 0)
			continue;
		unit_failed = 0;
		unit_skip_reason = NULL;
		t[i].fn();
		if (unit_skip_reason)
			printf("skip - %s: %s (%s)\n", file, t[i].name, unit_skip_reason);
		else if (unit_failed)
			printf("not ok - %s: %s\n", file, t[i].name), any_failed = 1;
		else
			printf("ok - %s: %s\n", file, t[i].name);
		fflush(stdout);
	}
	return any_failed;
}

#define UNIT_MAIN(...) \
	int main(int argc, char **argv) \
	{ \
		static const struct unit_test tests_[] = { __VA_ARGS__ }; \
		return unit_run(__FILE__, tests_, sizeof(tests_) / sizeof(tests_[0]), argc, argv); \
	}

#endif
