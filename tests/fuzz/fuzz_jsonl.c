/*
 * fuzz_jsonl: the JSONL / JSON-array / gzip reader (corpus/jsonl.c) on arbitrary bytes.
 *
 * The first byte picks the options (prompts-only, small record and byte bounds); the rest is
 * the file, given to jl_open through a memfd (/proc/self/fd/N), so the reader runs exactly as
 * on a file on disk. Every record it hands out must hold NUL-terminated strings of the stated
 * lengths; an error must carry a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus/jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jl_opts opts;
	struct jl_reader *r = NULL;
	struct jl_record rec;
	char path[64];
	int fd, rc;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	memset(&opts, 0, sizeof(opts));
	opts.prompts_only = mode & 1;
	opts.max_line = mode & 2 ? 64 : 1 << 20;
	opts.max_records = mode & 4 ? 3 : 20000;
	opts.max_bytes = mode & 8 ? 200 : (uint64_t)64 << 20;

	fd = memfd_create("fuzz_jsonl", 0);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (jl_open(&r, path, &opts) != 0)
		abort();
	while ((rc = jl_next(r, &rec)) == 1) {
		if (rec.line < 1)
			abort();
		check_str(rec.prompt, rec.prompt_len);
		check_str(rec.response, rec.response_len);
		if (rec.reasoning)
			check_str(rec.reasoning, rec.reasoning_len);
		if (rec.id)
			(void)strlen(rec.id);
		if (rec.model)
			(void)strlen(rec.model);
		if (rec.sampling_json)
			(void)strlen(rec.sampling_json);
	}
	if (rc < 0) {
		if (!prov_error_msg() || !*prov_error_msg())
			abort();
	} else {
		if (strlen(jl_sha256(r)) != PROV_SHA256_HEX - 1)
			abort();
		(void)jl_lines(r);
		(void)jl_records(r);
	}
	jl_free(r);
	close(fd);
	prov_error_clear();
	return 0;
}
