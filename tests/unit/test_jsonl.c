/* Unit tests for corpus/jsonl.c: the three shapes, gzip, and every kind of bad input. */
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "corpus/jsonl.h"

static char tmpdir[] = "/tmp/prov-unit-jsonl.XXXXXX";
static int have_tmpdir;

static const char *path_of(const char *name)
{
	static char buf[256];

	if (!have_tmpdir) {
		CHECK(mkdtemp(tmpdir) != NULL);
		have_tmpdir = 1;
	}
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *p = path_of(name);
	FILE *fp = fopen(p, "wb");

	CHECK(fp != NULL);
	fwrite(data, 1, len, fp);
	fclose(fp);
	return p;
}

static const char *write_text(const char *name, const char *s)
{
	return write_file(name, s, strlen(s));
}

static const char *write_gzip(const char *name, const char *s)
{
	const char *p = path_of(name);
	gzFile gz = gzopen(p, "wb");

	CHECK(gz != NULL);
	gzwrite(gz, s, (unsigned)strlen(s));
	gzclose(gz);
	return p;
}

/* Read the whole file; return the error code of the first failure or the record count. */
static int read_all(const char *path, const struct jl_opts *opts, struct jl_record *last)
{
	struct jl_reader *r = NULL;
	struct jl_record rec;
	int rc, n = 0;

	rc = jl_open(&r, path, opts);
	if (rc)
		return rc;
	while ((rc = jl_next(r, &rec)) == 1) {
		n++;
		if (last) {
			/* keep copies of the strings we check */
			static char prompt[256], response[256], id[64], model[64];

			snprintf(prompt, sizeof(prompt), "%s", rec.prompt);
			snprintf(response, sizeof(response), "%s", rec.response);
			snprintf(id, sizeof(id), "%s", rec.id ? rec.id : "(none)");
			snprintf(model, sizeof(model), "%s", rec.model ? rec.model : "(none)");
			*last = rec;
			last->prompt = prompt;
			last->response = response;
			last->id = id;
			last->model = model;
		}
	}
	jl_free(r);
	return rc < 0 ? rc : n;
}

static void plain_shape(void)
{
	struct jl_record rec;
	const char *p = write_text("plain.jsonl",
		"{\"id\": \"a1\", \"prompt\": \"Hi?\", \"response\": \"Hello.\", \"model\": \"m1\"}\n"
		"\n"
		"{\"prompt\": \"Two\", \"response\": \"\"}\r\n");

	CHECK_INT(read_all(p, NULL, &rec), 2);
	CHECK_STR(rec.prompt, "Two");
	CHECK_STR(rec.response, "");     /* an empty answer is an answer */
	CHECK_STR(rec.id, "(none)");
	CHECK_INT(rec.line, 3);           /* blank lines count as lines */
}

static void alpaca_shape_with_input_and_integer_id(void)
{
	struct jl_record rec;
	const char *p = write_text("alpaca.jsonl",
		"{\"instruction\": \"Translate\", \"input\": \"chat\", \"output\": \"cat\","
		" \"generator\": \"alpaca-7b\", \"question_id\": 17}\n");

	CHECK_INT(read_all(p, NULL, &rec), 1);
	CHECK_STR(rec.prompt, "Translate\n\nchat");
	CHECK_STR(rec.response, "cat");
	CHECK_STR(rec.model, "alpaca-7b");
	CHECK_STR(rec.id, "17");
	CHECK_INT(rec.shape, JL_ALPACA);
}

static void chat_shape_takes_last_assistant_and_user_turns(void)
{
	struct jl_record rec;
	const char *p = write_text("chat.jsonl",
		"{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
		" {\"role\": \"user\", \"content\": \"First?\"},"
		" {\"role\": \"assistant\", \"content\": \"One.\"},"
		" {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Second?\"}]},"
		" {\"role\": \"assistant\", \"content\": \"Two.\"}], \"model\": \"bot\"}\n");

	CHECK_INT(read_all(p, NULL, &rec), 1);
	CHECK_STR(rec.prompt, "First?\n\nSecond?");
	CHECK_STR(rec.response, "Two.");
	CHECK_STR(rec.model, "bot");
	CHECK_INT(rec.shape, JL_CHAT);
}

static void gzip_is_detected_by_magic_not_name(void)
{
	struct jl_record rec;
	struct jl_reader *r = NULL;
	const char *p = write_gzip("compressed.txt",
		"{\"prompt\": \"p\", \"response\": \"r\", \"model\": \"m\"}\n"
		"{\"prompt\": \"q\", \"response\": \"s\", \"model\": \"m\"}\n");
	char sha[PROV_SHA256_HEX];
	uint64_t size;

	CHECK_INT(read_all(p, NULL, &rec), 2);
	CHECK_STR(rec.response, "s");
	/* the digest is of the raw (compressed) bytes, the same as hashing the file */
	CHECK_INT(jl_open(&r, p, NULL), 0);
	while (jl_next(r, &rec) == 1)
		;
	CHECK_INT(jl_hash_file(sha, &size, p), 0);
	CHECK_STR(jl_sha256(r), sha);
	CHECK(jl_is_gzip(r));
	CHECK_INT(jl_size(r), size);
	CHECK_INT(jl_lines(r), 2);
	jl_free(r);
}

static void concatenated_gzip_members_are_one_stream(void)
{
	const char *a = "{\"prompt\": \"p\", \"response\": \"r\", \"model\": \"m\"}\n";
	const char *p1 = write_gzip("m1.gz", a), *p2;
	FILE *f1, *out;
	char buf[4096], path2[256];
	size_t n;

	snprintf(path2, sizeof(path2), "%s", p1);
	p2 = write_gzip("m2.gz", "{\"prompt\": \"q\", \"response\": \"s\", \"model\": \"m\"}\n");
	out = fopen(path2, "ab");
	f1 = fopen(p2, "rb");
	while ((n = fread(buf, 1, sizeof(buf), f1)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f1);
	fclose(out);
	CHECK_INT(read_all(path2, NULL, NULL), 2);
}

static void expect_data_error(const char *name, const char *content, const char *needle)
{
	const char *p = write_text(name, content);
	int rc = read_all(p, NULL, NULL);

	CHECK_INT(rc, PROV_EDATA);
	if (!strstr(prov_error_msg(), needle)) {
		printf("#   message \"%s\" lacks \"%s\"\n", prov_error_msg(), needle);
		unit_failed = 1;
	}
}

static void bad_lines_name_file_line_and_problem(void)
{
	expect_data_error("broken.jsonl",
		"{\"prompt\": \"a\", \"response\": \"b\", \"model\": \"m\"}\n{\"prompt\": \"a\", \n",
		"broken.jsonl:2: invalid JSON");
	expect_data_error("noresp.jsonl", "{\"prompt\": \"a\", \"model\": \"m\"}\n",
		"noresp.jsonl:1: missing \"response\"");
	expect_data_error("noprompt.jsonl", "{\"response\": \"a\", \"model\": \"m\"}\n",
		"noprompt.jsonl:1: missing \"prompt\"");
	expect_data_error("type.jsonl", "{\"prompt\": \"a\", \"response\": 5}\n",
		"type.jsonl:1: \"response\" must be a string");
	expect_data_error("modeltype.jsonl", "{\"prompt\": \"a\", \"response\": \"b\", \"model\": [1]}\n",
		"modeltype.jsonl:1: \"model\" must be a string");
	expect_data_error("array.jsonl", "[1, 2]\n", "array.jsonl:1: expected a JSON object as the array element");
	expect_data_error("none.jsonl", "{\"text\": \"a\"}\n", "none.jsonl:1: no response found");
	expect_data_error("dup.jsonl", "{\"prompt\": \"a\", \"prompt\": \"b\", \"response\": \"c\"}\n",
		"dup.jsonl:1: invalid JSON");
	expect_data_error("nul.jsonl", "{\"prompt\": \"a\\u0000\", \"response\": \"c\"}\n", "nul.jsonl:1:");
	expect_data_error("empty.jsonl", "", "empty.jsonl:0: no records (empty file)");
	expect_data_error("blank.jsonl", "\n  \n", "no records (empty file)");
	expect_data_error("chat1.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n",
		"chat1.jsonl:1: \"messages\" has no assistant message");
	expect_data_error("chat2.jsonl", "{\"messages\": {\"role\": \"user\"}}\n",
		"chat2.jsonl:1: \"messages\" must be an array");
	expect_data_error("badid.jsonl", "{\"id\": 1.5, \"prompt\": \"a\", \"response\": \"b\"}\n",
		"badid.jsonl:1: \"id\" must be a string or an integer");
}

static void invalid_utf8_is_named(void)
{
	const char bad[] = "{\"prompt\": \"caf\xc3\", \"response\": \"b\"}\n";

	expect_data_error("utf8.jsonl", bad, "utf8.jsonl:1: invalid UTF-8 at byte 16");
}

static void line_over_cap_is_rejected(void)
{
	struct jl_opts o = { 64, 0, 0, 0 };
	const char *p = write_text("long.jsonl",
		"{\"prompt\": \"short\", \"response\": \"ok\"}\n"
		"{\"prompt\": \"0123456789012345678901234567890123456789\", \"response\": \"too long\"}\n");

	CHECK_INT(read_all(p, &o, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "long.jsonl:2: line longer than the limit of 64 bytes") != NULL);
	o.max_line = 1000;
	CHECK_INT(read_all(p, &o, NULL), 2);
}

static void truncated_gzip_is_a_data_error(void)
{
	char big[20000], name[32];
	const char *p;
	FILE *fp;
	long size;
	char *data;
	size_t i, off = 0;

	for (i = 0; i < 100; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off,
			"{\"prompt\": \"prompt %zu\", \"response\": \"response number %zu\"}\n", i, i * 7919);
	p = write_gzip("full.gz", big);
	fp = fopen(p, "rb");
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	data = malloc((size_t)size);
	CHECK(fread(data, 1, (size_t)size, fp) == (size_t)size);
	fclose(fp);
	snprintf(name, sizeof(name), "cut.gz");
	p = write_file(name, data, (size_t)size / 2);
	CHECK_INT(read_all(p, NULL, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "truncated gzip stream") != NULL);
	/* a stream cut just before its 8-byte trailer is truncated too */
	p = write_file(name, data, (size_t)size - 4);
	CHECK_INT(read_all(p, NULL, NULL), PROV_EDATA);
	free(data);
}

static void missing_file_and_directory_are_io_errors(void)
{
	struct jl_reader *r = NULL;

	CHECK_INT(jl_open(&r, "/nonexistent/x.jsonl", NULL), PROV_EIO);
	CHECK(r == NULL);
	CHECK(strstr(prov_error_msg(), "/nonexistent/x.jsonl: cannot open") != NULL);
	CHECK_INT(jl_open(&r, "/tmp", NULL), PROV_EIO);
	CHECK(strstr(prov_error_msg(), "is a directory") != NULL);
	jl_free(NULL);
}

/* Open a one-line file and read its record (the reader stays open: the strings are borrowed). */
static struct jl_reader *one_record(const char *name, const char *line, const struct jl_opts *o,
	struct jl_record *rec, int *rc)
{
	struct jl_reader *r = NULL;

	CHECK_INT(jl_open(&r, write_text(name, line), o), 0);
	*rc = r ? jl_next(r, rec) : -1;
	return r;
}

static void chat_completion_object_is_an_input_shape(void)
{
	struct jl_record rec;
	int rc;
	struct jl_reader *r = one_record("completion.jsonl",
		"{\"id\": \"chatcmpl-123\", \"object\": \"chat.completion\", \"model\": \"llama-3-8b-instruct\","
		" \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\":"
		" \"<think>\\n Let me see. \\n</think>\\n\\nParis.\"}, \"finish_reason\": \"stop\"}],"
		" \"prompt\": \"Capital of France?\"}\n", NULL, &rec, &rc);

	CHECK_INT(rc, 1);
	CHECK_INT(rec.shape, JL_COMPLETION);
	CHECK_STR(rec.prompt, "Capital of France?");
	CHECK_STR(rec.response, "Paris.");           /* the <think> block is kept apart */
	CHECK(rec.reasoning && rec.reasoning_len == 11 && !memcmp(rec.reasoning, "Let me see.", 11));
	CHECK_STR(rec.finish_reason, "stop");
	CHECK_STR(rec.served_model, "llama-3-8b-instruct");
	CHECK_STR(rec.model, "llama-3-8b-instruct");
	CHECK(rec.id == NULL);                        /* "chatcmpl-123" names the reply, not the prompt */
	CHECK_INT(rec.no_prompt, 0);
	jl_free(r);

	/* no prompt kept: an answer without a prompt; reasoning_content beats a <think> block */
	r = one_record("completion2.jsonl",
		"{\"object\": \"chat.completion\", \"model\": \"m\", \"choices\": [{\"message\": {\"role\": \"assistant\","
		" \"content\": \"Hi.\", \"reasoning_content\": \"Greet.\"}}]}\n", NULL, &rec, &rc);
	CHECK_INT(rc, 1);
	CHECK_INT(rec.no_prompt, 1);
	CHECK_STR(rec.prompt, "");
	CHECK_STR(rec.response, "Hi.");
	CHECK_STR(rec.reasoning, "Greet.");
	CHECK(rec.finish_reason == NULL);
	jl_free(r);

	/* the request's messages kept alongside give the prompt */
	r = one_record("completion3.jsonl",
		"{\"custom_id\": \"q7\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
		" {\"role\": \"user\", \"content\": \"Two plus two?\"}], \"choices\": [{\"message\":"
		" {\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"Four.\"}]}}]}\n",
		NULL, &rec, &rc);
	CHECK_INT(rc, 1);
	CHECK_STR(rec.id, "q7");
	CHECK_STR(rec.prompt, "Two plus two?");    /* the system message is not part of it */
	CHECK_STR(rec.response, "Four.");
	CHECK(rec.model == NULL);
	jl_free(r);
}

static void batch_api_output_line_is_an_input_shape(void)
{
	struct jl_record rec;
	int rc;
	struct jl_reader *r = one_record("batch.jsonl",
		"{\"id\": \"batch_req_1\", \"custom_id\": \"ex07\", \"response\": {\"status_code\": 200,"
		" \"request_id\": \"r1\", \"body\": {\"id\": \"chatcmpl-9\", \"object\": \"chat.completion\","
		" \"model\": \"gpt-4o-mini-2024-07-18\", \"choices\": [{\"index\": 0, \"message\": {\"role\":"
		" \"assistant\", \"content\": \"Certainly! Here it is.\"}, \"finish_reason\": \"length\"}]}},"
		" \"error\": null}\n", NULL, &rec, &rc);

	CHECK_INT(rc, 1);
	CHECK_INT(rec.shape, JL_BATCH);
	CHECK_STR(rec.id, "ex07");
	CHECK_STR(rec.response, "Certainly! Here it is.");
	CHECK_STR(rec.model, "gpt-4o-mini-2024-07-18");
	CHECK_STR(rec.served_model, "gpt-4o-mini-2024-07-18");
	CHECK_STR(rec.finish_reason, "length");
	CHECK_INT(rec.no_prompt, 1);
	jl_free(r);
	expect_data_error("batchfail.jsonl",
		"{\"custom_id\": \"ex08\", \"response\": null, \"error\": {\"message\": \"quota exceeded\"}}\n",
		"batchfail.jsonl:1: batch request 'ex08' failed: quota exceeded");
	expect_data_error("batch400.jsonl",
		"{\"custom_id\": \"ex09\", \"response\": {\"status_code\": 400, \"body\": {}}, \"error\": null}\n",
		"batch400.jsonl:1: batch request 'ex09' failed with HTTP status 400");
	expect_data_error("nochoices.jsonl", "{\"object\": \"chat.completion\", \"choices\": []}\n",
		"nochoices.jsonl:1: the reply has no \"choices\"");
	expect_data_error("nullcontent.jsonl",
		"{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": null, \"tool_calls\": []}}]}\n",
		"nullcontent.jsonl:1: the reply: choices[0].message.content is null");
	expect_data_error("notcompletion.jsonl", "{\"object\": \"text_completion\", \"choices\": [{\"text\": \"x\"}]}\n",
		"is a \"text_completion\" object");
}

static void collect_lines_carry_sampling_and_served_model(void)
{
	struct jl_record rec;
	int rc;
	struct jl_reader *r = one_record("collected.jsonl",
		"{\"id\": \"q1\", \"prompt\": \"p\", \"response\": \"r\", \"model\": \"suspect\", \"served_model\": \"s-7b\","
		" \"sampling\": {\"temperature\": 0.7, \"seed\": 3, \"max_tokens\": 10}, \"finish_reason\": \"stop\","
		" \"reasoning\": \"hm\", \"exchange_sha256\": \"00\"}\n", NULL, &rec, &rc);

	CHECK_INT(rc, 1);
	CHECK_INT(rec.shape, JL_PLAIN);
	CHECK_STR(rec.sampling_json, "{\"max_tokens\":10,\"seed\":3,\"temperature\":0.7}");   /* keys sorted */
	CHECK_STR(rec.served_model, "s-7b");
	CHECK_STR(rec.model, "suspect");
	CHECK_STR(rec.finish_reason, "stop");
	CHECK_STR(rec.reasoning, "hm");
	jl_free(r);
	expect_data_error("badsampling.jsonl", "{\"prompt\": \"p\", \"response\": \"r\", \"sampling\": 3}\n",
		"badsampling.jsonl:1: \"sampling\" must be an object");
}

static void prompts_only_files_need_no_answer(void)
{
	struct jl_opts o = { 0, 1, 0, 0 };
	struct jl_record rec;
	const char *p = write_text("prompts.jsonl",
		"{\"id\": \"a\", \"prompt\": \"First?\"}\n"
		"{\"messages\": [{\"role\": \"user\", \"content\": \"Second?\"}]}\n");

	CHECK_INT(read_all(p, &o, &rec), 2);
	CHECK_STR(rec.prompt, "Second?");
	CHECK_STR(rec.response, "");
	CHECK_INT(read_all(p, NULL, NULL), PROV_EDATA);   /* as answers, the file is incomplete */
}

static void think_blocks_split_off(void)
{
	size_t ro, rl, ao;
	const char *t = "  <think>\n plan \n</think>\n\n Answer";

	CHECK_INT(jl_split_think(t, strlen(t), &ro, &rl, &ao), 1);
	CHECK_INT(rl, 4);
	CHECK(!memcmp(t + ro, "plan", 4));
	CHECK_STR(t + ao, "Answer");
	t = "<think>cut off by max_tokens";
	CHECK_INT(jl_split_think(t, strlen(t), &ro, &rl, &ao), 1);
	CHECK_INT(ao, strlen(t));                     /* no answer at all */
	CHECK_INT(rl, strlen("cut off by max_tokens"));
	t = "The tag <think> is not leading.";
	CHECK_INT(jl_split_think(t, strlen(t), &ro, &rl, &ao), 0);
	CHECK_INT(ao, 0);
	CHECK_INT(jl_split_think("<think></think>x", 16, &ro, &rl, &ao), 1);
	CHECK_INT(rl, 0);
	CHECK_INT(ao, 15);
}

/* Every record's prompt, response, model and line, one per line, for comparing two readings. */
static char *records_text(const char *path, int with_line, int *rc_out)
{
	struct jl_reader *r = NULL;
	struct jl_record rec;
	struct pbuf b;
	char num[32];
	int rc;

	pbuf_init(&b, 0);
	*rc_out = jl_open(&r, path, NULL);
	if (*rc_out)
		return NULL;
	while ((rc = jl_next(r, &rec)) == 1) {
		pbuf_adds(&b, rec.prompt);
		pbuf_adds(&b, "|");
		pbuf_adds(&b, rec.response);
		pbuf_adds(&b, "|");
		pbuf_adds(&b, rec.model ? rec.model : "-");
		pbuf_adds(&b, "|");
		pbuf_adds(&b, rec.id ? rec.id : "-");
		snprintf(num, sizeof(num), "|%ld\n", with_line ? rec.line : 0);
		pbuf_adds(&b, num);
	}
	*rc_out = rc;
	jl_free(r);
	pbuf_add(&b, "", 0);
	return b.data;
}

static void json_array_reads_like_its_jsonl_twin(void)
{
	const char *lines =
		"{\"instruction\": \"Say hi\", \"output\": \"Hi!\", \"generator\": \"g\", \"dataset\": \"x\"}\n"
		"{\"instruction\": \"Count [to] {3}\", \"output\": \"1, 2, \\\"3\\\" ]}\", \"generator\": \"g\"}\n"
		"{\"prompt\": \"p\", \"response\": \"r\", \"id\": 7}\n";
	const char *arr =
		"\xef\xbb\xbf  [\n"
		"{\"instruction\": \"Say hi\", \"output\": \"Hi!\", \"generator\": \"g\", \"dataset\": \"x\"},\n"
		"{\"instruction\": \"Count [to] {3}\", \"output\": \"1, 2, \\\"3\\\" ]}\", \"generator\": \"g\"}\n"
		"  ,{\"prompt\": \"p\", \"response\": \"r\", \"id\": 7}\n"
		"]\n\n";
	struct jl_reader *r = NULL;
	struct jl_record rec;
	char *a, *b;
	int rca, rcb;

	a = records_text(write_text("twin.jsonl", lines), 0, &rca);
	b = records_text(write_text("twin.json", arr), 0, &rcb);
	CHECK_INT(rca, 0);
	CHECK_INT(rcb, 0);
	CHECK(a && b);
	if (a && b)
		CHECK_STR(b, a);
	free(a);
	free(b);
	/* gzip-compressed, the same; the line count is the file's */
	b = records_text(write_gzip("twin.json.gz", arr), 1, &rcb);
	CHECK_INT(rcb, 0);
	CHECK(b && !strncmp(b, "Say hi|Hi!|g|-|2\n", 17));
	free(b);
	CHECK_INT(jl_open(&r, path_of("twin.json"), NULL), 0);
	while (jl_next(r, &rec) == 1)
		;
	CHECK(jl_is_array(r));
	CHECK_INT(jl_records(r), 3);
	CHECK_INT(jl_lines(r), 6);
	jl_free(r);
	/* pretty-printed, one element over several lines: the element's first line */
	CHECK_INT(read_all(write_text("pretty.json", "[\n  {\n    \"instruction\": \"a\",\n    \"output\": \"b\"\n  },\n"
		"  {\n    \"instruction\": \"c\",\n    \"output\": \"d\"\n  }\n]"), NULL, &rec), 2);
	CHECK_INT(rec.line, 6);
	CHECK_STR(rec.response, "d");
}

static void json_array_is_streamed_across_buffers(void)
{
	/* 3,000 elements of ~1 KB: far more than one read buffer, read element by element */
	const char *p = path_of("big.json");
	FILE *fp = fopen(p, "wb");
	char pad[1001];
	int i;

	memset(pad, 'x', 1000);
	pad[1000] = '\0';
	CHECK(fp != NULL);
	fputs("[", fp);
	for (i = 0; i < 3000; i++)
		fprintf(fp, "%s{\"prompt\": \"q%d\", \"response\": \"%s\\\"]}\"}\n", i ? "," : "", i, pad);
	fputs("]", fp);
	fclose(fp);
	CHECK_INT(read_all(p, NULL, NULL), 3000);
}

static void bad_json_arrays_name_the_element_line(void)
{
	expect_data_error("open.json", "[\n{\"prompt\": \"a\", \"response\": \"b\"},\n{\"prompt\": \"c\", \"response\": \"d\"}\n",
		"open.json:4: the JSON array is not closed");
	expect_data_error("trail.json", "[{\"prompt\": \"a\", \"response\": \"b\"}]\n{\"x\": 1}\n",
		"trail.json:2: data after the closing ']'");
	expect_data_error("comma.json", "[{\"prompt\": \"a\", \"response\": \"b\"},\n]\n",
		"comma.json:2: an array element expected before ']'");
	expect_data_error("nocomma.json", "[{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\", \"response\": \"b\"}]",
		"nocomma.json:2: ',' or ']' expected");
	expect_data_error("noresp.json", "[\n{\"prompt\": \"a\", \"response\": \"b\"},\n\n{\"prompt\": \"c\"}]",
		"noresp.json:4: missing \"response\"");
	expect_data_error("badjson.json", "[\n{\"prompt\": \"a\",\n \"response\": nope}]",
		"badjson.json:3: invalid JSON");
	expect_data_error("empty.json", "[ ]\n", "empty.json:1: no records (empty JSON array)");
}

static void records_and_decompressed_bytes_are_bounded(void)
{
	struct jl_opts o = { 0, 0, 3, 0 };
	const char *line = "{\"prompt\": \"p\", \"response\": \"r\"}\n";
	char buf[1024];
	size_t len = strlen(line);
	int i, rc;

	for (i = 0; i < 5; i++)
		memcpy(buf + (size_t)i * len, line, len + 1);
	CHECK_INT(read_all(write_text("four.jsonl", buf), &o, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "four.jsonl:4: more than 3 records") != NULL);
	CHECK(strstr(prov_error_msg(), "PROVENANCE_MAX_RECORDS") != NULL);
	o.max_records = 0;
	o.max_bytes = 100;
	rc = read_all(write_gzip("bytes.jsonl.gz", buf), &o, NULL);
	CHECK_INT(rc, PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "bytes.jsonl.gz:1: the input holds more than 100 bytes") != NULL);
	/* the defaults come from the environment */
	setenv("PROVENANCE_MAX_RECORDS", "2", 1);
	CHECK_INT(read_all(path_of("four.jsonl"), NULL, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "four.jsonl:3: more than 2 records") != NULL);
	setenv("PROVENANCE_MAX_RECORDS", "1K", 1);
	CHECK_INT(jl_default_max_records(), 1024);
	unsetenv("PROVENANCE_MAX_RECORDS");
	CHECK_INT(jl_default_max_records(), JL_MAX_RECORDS_DEFAULT);
	CHECK_INT(read_all(path_of("four.jsonl"), NULL, NULL), 5);
}

static void gzip_trailing_garbage_names_a_line(void)
{
	const char *p = write_gzip("garbage.gz", "{\"prompt\": \"p\", \"response\": \"r\"}\n"
		"{\"prompt\": \"q\", \"response\": \"s\"}\n");
	FILE *fp = fopen(p, "ab");

	CHECK(fp != NULL);
	fputs("this is not gzip", fp);
	fclose(fp);
	CHECK_INT(read_all(p, NULL, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "garbage.gz:3: trailing garbage after the gzip stream") != NULL);
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (have_tmpdir)
		CHECK(system(cmd) == 0);
}

UNIT_MAIN(
	UNIT_TEST(plain_shape),
	UNIT_TEST(alpaca_shape_with_input_and_integer_id),
	UNIT_TEST(chat_shape_takes_last_assistant_and_user_turns),
	UNIT_TEST(gzip_is_detected_by_magic_not_name),
	UNIT_TEST(concatenated_gzip_members_are_one_stream),
	UNIT_TEST(bad_lines_name_file_line_and_problem),
	UNIT_TEST(invalid_utf8_is_named),
	UNIT_TEST(line_over_cap_is_rejected),
	UNIT_TEST(truncated_gzip_is_a_data_error),
	UNIT_TEST(missing_file_and_directory_are_io_errors),
	UNIT_TEST(chat_completion_object_is_an_input_shape),
	UNIT_TEST(batch_api_output_line_is_an_input_shape),
	UNIT_TEST(collect_lines_carry_sampling_and_served_model),
	UNIT_TEST(prompts_only_files_need_no_answer),
	UNIT_TEST(think_blocks_split_off),
	UNIT_TEST(json_array_reads_like_its_jsonl_twin),
	UNIT_TEST(json_array_is_streamed_across_buffers),
	UNIT_TEST(bad_json_arrays_name_the_element_line),
	UNIT_TEST(records_and_decompressed_bytes_are_bounded),
	UNIT_TEST(gzip_trailing_garbage_names_a_line),
	UNIT_TEST(cleanup)
)
