/*
 * cmd_timestamp.c: `provenance timestamp CASE -o FILE.tsq | --attach FILE.tsr`:
 * RFC 3161 trusted timestamps of a case hash (libcrypto's TS API), and the
 * check `verify` runs on every attached reply.
 *
 * The message imprint is the case hash itself (SHA-256 of the case's
 * canonical header): `openssl ts -verify -digest HASH -in FILE.tsr -CAfile
 * TSA.pem` checks a reply without provenance.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "cmd/cmd.h"
#include "corpus/cases.h"

#define MAX_REPLY (1 << 20)   /* bytes of a time-stamp reply */

static const char timestamp_usage[] =
	"usage: provenance timestamp CASE -o FILE.tsq\n"
	"       provenance timestamp CASE --attach FILE.tsr\n"
	"\n"
	"RFC 3161 trusted timestamps of a case hash, an anchor outside the database: whoever holds the\n"
	"file cannot move a case's time earlier or rewrite it without the authority's new signature.\n"
	"\n"
	"  -o FILE.tsq       write a time-stamp request (SHA-256 imprint: the case hash, a nonce, and a\n"
	"                    request for the authority's certificate); send it to an authority, e.g.\n"
	"                    curl -H 'Content-Type: application/timestamp-query' --data-binary @FILE.tsq URL\n"
	"  --attach FILE.tsr store the authority's reply with the case (refused if it stamps another hash)\n"
	"\n"
	"`provenance verify` checks every stored reply's imprint against the case hash, and its signature\n"
	"with --tsa-cert FILE.\n";

static int hex_to_bytes(unsigned char out[32], const char *hex)
{
	size_t i;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* The case's hash, refusing a case whose row no longer matches it. */
static int case_hash_of(struct store *st, int64_t id, char hash[PROV_SHA256_HEX])
{
	struct pbuf rep = PBUF_INIT(0);
	struct case_info ci;
	int rc = case_report(st, id, &rep, &ci);

	pbuf_release(&rep);
	if (!rc)
		snprintf(hash, PROV_SHA256_HEX, "%s", ci.hash);
	return rc;
}

static int write_request(const char *hash, const char *path)
{
	unsigned char md[32], *der = NULL, rnd[8];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *nonce = NULL;
	int len, rc = 0;

	if (!req || !mi || !alg || hex_to_bytes(md, hash) || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    !(bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) || !(nonce = BN_to_ASN1_INTEGER(bn, NULL)) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) || !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md)) || !TS_REQ_set_version(req, 1) ||
	    !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1) ||
	    (len = i2d_TS_REQ(req, &der)) <= 0) {
		rc = prov_error(PROV_EINTERNAL, "libcrypto: cannot build the time-stamp request");
		goto done;
	}
	rc = cmd_write_output(path, (const char *)der, (size_t)len);
done:
	OPENSSL_free(der);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return rc;
}

static int read_file(const char *path, struct pbuf *out)
{
	FILE *fp = fopen(path, "rb");
	char buf[8192];
	size_t n;
	int rc = 0;

	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open: %s", path, strerror(errno));
	while (!rc && (n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (pbuf_add(out, buf, n))
			rc = prov_error(PROV_EDATA, "%s: larger than %d bytes: not a time-stamp reply", path, MAX_REPLY);
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error", path);
	fclose(fp);
	return rc;
}

/* The reply's time as "YYYY-MM-DDTHH:MM:SSZ". */
static void gen_time(const TS_TST_INFO *tst, char out[40])
{
	const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(tst);
	struct tm tm;

	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, 40, "?");
}

/*
 * Parse a reply and compare its imprint with `hash`: 0 (and *out the reply,
 * its time in when) if it holds, 1 with `why` if not, <0 on error.
 */
static int reply_imprint(TS_RESP **out, const void *der, size_t len, const char *hash, char when[40], char *why,
	size_t n)
{
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)len);
	TS_TST_INFO *tst;
	TS_MSG_IMPRINT *mi;
	const ASN1_OBJECT *obj = NULL;
	const ASN1_OCTET_STRING *d;
	unsigned char md[32];
	long status;

	*out = NULL;
	snprintf(when, 40, "?");
	if (!resp) {
		snprintf(why, n, "not an RFC 3161 time-stamp reply (DER)");
		return 1;
	}
	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
	if ((status != 0 && status != 1) || !(tst = TS_RESP_get_tst_info(resp))) {
		snprintf(why, n, "the authority did not grant the time stamp (status %ld)", status);
		TS_RESP_free(resp);
		return 1;
	}
	gen_time(tst, when);
	mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	d = TS_MSG_IMPRINT_get_msg(mi);
	if (hex_to_bytes(md, hash) || OBJ_obj2nid(obj) != NID_sha256 || !d || ASN1_STRING_length(d) != 32 ||
	    memcmp(ASN1_STRING_get0_data(d), md, 32)) {
		snprintf(why, n, "the reply (time %s) stamps another hash, not this case's %.16s...", when, hash);
		TS_RESP_free(resp);
		return 1;
	}
	*out = resp;
	return 0;
}

int cmd_ts_check(void *ctx, const void *der, size_t len, const char *hash, char *why, size_t n)
{
	const char *cert_path = ctx;
	TS_RESP *resp = NULL;
	TS_VERIFY_CTX *v = NULL;
	X509_STORE *store = NULL;
	X509 *cert = NULL;
	FILE *fp;
	unsigned char *imprint = NULL;
	char when[40];
	int rc = reply_imprint(&resp, der, len, hash, when, why, n);

	if (rc)
		return rc;
	if (!cert_path) {
		snprintf(why, n, "time %s; its imprint is this case's hash (the authority's signature was not checked: give"
			" --tsa-cert FILE)", when);
		TS_RESP_free(resp);
		return 0;
	}
	fp = fopen(cert_path, "rb");
	if (!fp) {
		TS_RESP_free(resp);
		return prov_error(PROV_EIO, "%s: cannot open the authority's certificate: %s", cert_path, strerror(errno));
	}
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!cert) {
		TS_RESP_free(resp);
		return prov_error(PROV_EDATA, "%s: not a PEM certificate", cert_path);
	}
	rc = 1;
	if (!(v = TS_VERIFY_CTX_new()) || !(store = X509_STORE_new()) || !X509_STORE_add_cert(store, cert) ||
	    !(imprint = OPENSSL_malloc(32)) || hex_to_bytes(imprint, hash)) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(v, imprint, 32);
	imprint = NULL;
	TS_VERIFY_CTX_set_store(v, store);
	store = NULL;
	ERR_clear_error();
	if (TS_RESP_verify_response(v, resp) == 1) {
		snprintf(why, n, "time %s; its imprint is this case's hash, signed by an authority certified by %s", when,
			cert_path);
		rc = 0;
	} else {
		char e[256];

		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		snprintf(why, n, "time %s: the reply's signature does not verify against %s (%s)", when, cert_path, e);
	}
	ERR_clear_error();
done:
	OPENSSL_free(imprint);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(v);
	X509_free(cert);
	TS_RESP_free(resp);
	return rc;
}

int cmd_timestamp(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "attach", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *output = NULL, *attach = NULL;
	struct store *st = NULL;
	struct pbuf reply = PBUF_INIT(MAX_REPLY);
	char hash[PROV_SHA256_HEX], why[400], when[40];
	TS_RESP *resp = NULL;
	long id;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":o:h", longopts, "timestamp")) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'a':
			attach = optarg;
			break;
		case 'h':
			fputs(timestamp_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || (id = cmd_parse_long(argv[optind])) <= 0)
		return cmd_usage_error("timestamp", "give one case id (see: provenance cases)");
	if (!output == !attach)
		return cmd_usage_error("timestamp", "give either -o FILE.tsq (a request) or --attach FILE.tsr (a reply)");
	if ((rc = cmd_check_output(output, ctx->db_path)))
		return cmd_fail(rc);
	if (output) {
		if (!(rc = store_open(&st, ctx->db_path, STORE_RDONLY)) && !(rc = case_hash_of(st, id, hash)) &&
		    !(rc = write_request(hash, output)) && strcmp(output, "-"))
			fprintf(stderr, "provenance: time-stamp request for case %ld (hash %s) written to %s\n", id, hash,
				cmd_esc(output));
		store_close(st);
		return rc ? cmd_fail(rc) : EXIT_OK;
	}
	if ((rc = read_file(attach, &reply)) || (rc = store_open(&st, ctx->db_path, STORE_MUST_EXIST)) ||
	    (rc = case_hash_of(st, id, hash)))
		goto done;
	rc = reply_imprint(&resp, reply.data, reply.len, hash, when, why, sizeof(why));
	if (rc > 0) {
		rc = prov_error(PROV_EDATA, "%s: %s; not attached", attach, why);
		goto done;
	}
	if (!rc && !(rc = case_timestamp_add(st, id, hash, when, reply.data, reply.len)))
		printf("timestamp of case %lld (hash %.16s..., time %s) attached; check it with: provenance verify %ld"
			" --tsa-cert TSA.pem\n", (long long)id, hash, when, id);
done:
	TS_RESP_free(resp);
	pbuf_release(&reply);
	store_close(st);
	return rc ? cmd_fail(rc) : EXIT_OK;
}
