/* Unit tests for lib/dkim: canonicalization vectors worked out by hand
 * from RFC 6376 3.4.2/3.4.4, chunking, the signer's choices, keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/base64.h"
#include "lib/dkim.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static int
to_sbuf(void *arg, const void *p, size_t n)
{
	return sbuf_cat_n(arg, p, n);
}

/* Canonical body of in[0..n) fed in pieces of 'step' bytes (0: whole). */
static void
canon_body(const char *in, size_t n, size_t step, struct sbuf *out)
{
	struct dkim_body b;
	size_t i, k;

	sbuf_reset(out);
	dkim_body_init(&b, to_sbuf, out);
	for (i = 0; i < n; i += k) {
		k = step == 0 || n - i < step ? n - i : step;
		(void)dkim_body_update(&b, in + i, k);
	}
	(void)dkim_body_final(&b);
}

/* The vector whole, byte at a time, and split in two at every point. */
static void
body(const char *in, const char *want, const char *name)
{
	struct sbuf out;
	struct dkim_body b;
	size_t n = strlen(in), cut;
	int same = 1;

	sbuf_init(&out, 1 << 20);
	canon_body(in, n, 0, &out);
	is_mem(out.s, out.len, want, strlen(want), name);
	canon_body(in, n, 1, &out);
	if (out.len != strlen(want) ||
	    (out.len > 0 && memcmp(out.s, want, out.len) != 0))
		same = 0;
	for (cut = 0; cut <= n; cut++) {
		sbuf_reset(&out);
		dkim_body_init(&b, to_sbuf, &out);
		(void)dkim_body_update(&b, in, cut);
		(void)dkim_body_update(&b, in + cut, n - cut);
		(void)dkim_body_final(&b);
		if (out.len != strlen(want) ||
		    (out.len > 0 && memcmp(out.s, want, out.len) != 0))
			same = 0;
	}
	ok(same, "%s: the same byte at a time and split anywhere", name);
	sbuf_fini(&out);
}

static void
header(const char *in, const char *want)
{
	struct sbuf out, name;

	sbuf_init(&out, 4096);
	sbuf_init(&name, 4096);
	(void)sbuf_cat_escaped(&name, in, strlen(in), 200);
	is_int(dkim_canon_header(in, strlen(in), &out), 0, sbuf_str(&name));
	is_mem(out.s, out.len, want, strlen(want), "canonical form");
	sbuf_fini(&name);
	sbuf_fini(&out);
}

static const char rfc8463[] =
    "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";

static void
test_canon(void)
{
	struct sbuf out;
	unsigned char md[32];
	unsigned int mdlen;
	struct sbuf b64;

	/* RFC 6376 3.4.5, relaxed/relaxed. */
	header("A: X\r\n", "a:X\r\n");
	header("B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n");
	body(" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n", "RFC 6376 3.4.5");

	header("Subject:  Hello \t World  \r\n", "subject:Hello World\r\n");
	header("SUBJECT : x", "subject:x\r\n");
	header("Subject: a\r\n\tb\r\n  c\r\n", "subject:a b c\r\n");
	header("X-Empty:\r\n", "x-empty:\r\n");
	header("X-Blank: \r\n \t\r\n", "x-blank:\r\n");
	header("To: a@b\n c@d\n", "to:a@b c@d\r\n");
	header("X-Colon: a:b: c", "x-colon:a:b: c\r\n");

	body("", "", "empty body is empty (3.4.4)");
	body("\r\n", "", "one empty line is an empty body");
	body("\r\n\r\n\r\n", "", "empty lines only");
	body(" \t \r\n\t\r\n", "", "lines of only blanks");
	body("abc", "abc\r\n", "no final CRLF: one is added");
	body("abc  ", "abc\r\n", "no final CRLF, trailing blanks");
	body("a\r\n \t\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n",
	    "blank-only line inside the body stays an empty line");
	body("a  b\n\nc\n\n", "a b\r\n\r\nc\r\n", "bare LF read as CRLF");
	body("a\rb\r\n", "a\r\nb\r\n", "bare CR read as CRLF (as lib/smtpc sends it)");
	body("x\r", "x\r\n", "CR at the very end");
	body("  lead\r\n", " lead\r\n", "leading blanks become one SP");
	body("x \t\r\n", "x\r\n", "trailing blanks go");
	body("a\t\tb \t c", "a b c\r\n", "tabs and spaces mixed");
	body("a\r\r\nb", "a\r\n\r\nb\r\n", "CR before CRLF: two line ends");
	body("a\r\r", "a\r\n", "bare CRs at the end are empty lines");

	/* RFC 8463 appendix A: the body hash both signatures carry. */
	sbuf_init(&out, 4096);
	sbuf_init(&b64, 128);
	canon_body(rfc8463, strlen(rfc8463), 7, &out);
	if (EVP_Digest(out.s, out.len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    base64_encode(md, mdlen, &b64) == 0 && sbuf_nul(&b64) == 0)
		is_str(b64.s, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
		    "RFC 8463 A.3 body hash");
	else
		ok(0, "RFC 8463 A.3 body hash");
	sbuf_fini(&b64);
	sbuf_fini(&out);
}

/* Sign msg with fixed time; pieces of step bytes (0: whole). */
static int
sign(const struct dkim_key *k, const char *msg, size_t n, size_t step,
    struct sbuf *out, struct sbuf *why)
{
	struct dkim_sign *s;
	size_t i, c;
	int rc;

	sbuf_reset(out);
	if ((s = dkim_sign_init(k, "example.com", "sel", NULL, why)) == NULL)
		return -1;
	dkim_sign_set_time(s, 1700000000);
	for (i = 0; i < n; i += c) {
		c = step == 0 || n - i < step ? n - i : step;
		if (dkim_sign_update(s, msg + i, c) < 0) {
			dkim_sign_free(&s);
			return -1;
		}
	}
	rc = dkim_sign_final(s, out, why);
	dkim_sign_free(&s);
	return rc;
}

/* The value of tag t= in a signature field, unfolded. */
static void
tag(const struct sbuf *sig, const char *t, struct sbuf *val)
{
	const char *p;
	size_t i, n = strlen(t);

	sbuf_reset(val);
	for (p = sig->s; p < sig->s + sig->len - n; p++)
		if ((p == sig->s || p[-1] == ' ' || p[-1] == '\t') &&
		    strncmp(p, t, n) == 0)
			break;
	for (i = (size_t)(p - sig->s) + n; i < sig->len && sig->s[i] != ';';
	    i++)
		if (sig->s[i] != ' ' && sig->s[i] != '\t' &&
		    sig->s[i] != '\r' && sig->s[i] != '\n')
			(void)sbuf_cat_c(val, sig->s[i]);
	(void)sbuf_nul(val);
}

static int
lines_short(const struct sbuf *sig)
{
	size_t i, col = 0;

	for (i = 0; i < sig->len; i++) {
		if (sig->s[i] == '\r') {
			if (i + 1 >= sig->len || sig->s[i + 1] != '\n' || col >= 78)
				return 0;
			col = 0;
			i++;
		} else
			col += sig->s[i] == '\t' ? 8 : 1;
	}
	return col == 0 && sig->len > 2;
}

static const char msg1[] =
    "Received: from a by b\r\n"
    "Received: from c by d\r\n"
    "From: Joe <joe@example.com>\r\n"
    "To: a@example.org,\r\n\tb@example.org\r\n"
    "To: c@example.org\r\n"
    "Subject: Hello   there \r\n"
    "List-Id: <x.example.com>\r\n"
    "list-unsubscribe: <mailto:u@example.com>\r\n"
    "X-Other: yes\r\n"
    "\r\n"
    "Hi.\r\n\r\nBody  text \r\n\r\n";

static void
test_sign(const struct dkim_key *k)
{
	struct sbuf out, other, why, val;
	char *lf;
	size_t i, j, n = sizeof msg1 - 1, cut;
	int same;

	sbuf_init(&out, DKIM_SIG_MAX);
	sbuf_init(&other, DKIM_SIG_MAX);
	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&val, DKIM_SIG_MAX);
	is_int(sign(k, msg1, n, 0, &out, &why), 0, "ed25519 signs");
	ok(out.len > 15 && memcmp(out.s, "DKIM-Signature: v=1; ", 21) == 0,
	    "a DKIM-Signature field");
	ok(lines_short(&out), "folded below 78 columns, CRLF line ends");
	tag(&out, "h=", &val);
	is_str(val.s, "from:from:to:to:subject:list-id:list-unsubscribe",
	    "h=: From over-signed, every To, List-*, no Received");
	tag(&out, "a=", &val);
	is_str(val.s, "ed25519-sha256", "a=");
	tag(&out, "c=", &val);
	is_str(val.s, "relaxed/relaxed", "c=");
	tag(&out, "t=", &val);
	is_str(val.s, "1700000000", "t=");
	tag(&out, "d=", &val);
	is_str(val.s, "example.com", "d=");
	tag(&out, "s=", &val);
	is_str(val.s, "sel", "s=");

	/* Ed25519 is deterministic: chunking must not change a byte. */
	same = 1;
	for (i = 1; i < 40; i += 3)
		if (sign(k, msg1, n, i, &other, &why) < 0 ||
		    other.len != out.len || memcmp(other.s, out.s, out.len))
			same = 0;
	for (cut = 0; cut <= n; cut++) {
		struct dkim_sign *s = dkim_sign_init(k, "example.com", "sel",
		    NULL, &why);

		sbuf_reset(&other);
		dkim_sign_set_time(s, 1700000000);
		if (dkim_sign_update(s, msg1, cut) < 0 ||
		    dkim_sign_update(s, msg1 + cut, n - cut) < 0 ||
		    dkim_sign_final(s, &other, &why) < 0 ||
		    other.len != out.len || memcmp(other.s, out.s, out.len))
			same = 0;
		dkim_sign_free(&s);
	}
	ok(same, "same signature for every chunking (CRLF split included)");

	/* Bare LF input gives the same signature. */
	lf = malloc(n);
	for (i = j = 0; i < n; i++)
		if (msg1[i] != '\r')
			lf[j++] = msg1[i];
	is_int(sign(k, lf, j, 5, &other, &why), 0, "bare LF message signs");
	is_mem(other.s, other.len, out.s, out.len, "same signature as CRLF");
	/* Bare CR line ends too (lib/smtpc sends them as CRLF). */
	for (i = j = 0; i < n; i++)
		if (msg1[i] != '\n')
			lf[j++] = msg1[i];
	is_int(sign(k, lf, j, 4, &other, &why), 0, "bare CR message signs");
	is_mem(other.s, other.len, out.s, out.len, "same signature as CRLF");
	free(lf);

	/* Header-only message (no empty line, no final line end). */
	is_int(sign(k, "From: a@example.com\r\nSubject: x", 32, 0, &out, &why),
	    0, "header-only message signs");
	tag(&out, "bh=", &val);
	is_str(val.s, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	    "empty body: bh= is SHA-256 of nothing");
	tag(&out, "h=", &val);
	is_str(val.s, "from:from:subject", "h= of a small message");
	sbuf_fini(&out);
	sbuf_fini(&other);
	sbuf_fini(&why);
	sbuf_fini(&val);
}

static void
refuse(const struct dkim_key *k, const char *msg, const char *name)
{
	struct sbuf out, why;

	sbuf_init(&out, DKIM_SIG_MAX);
	sbuf_init(&why, DKIM_WHY_MAX);
	errno = 0;
	is_int(sign(k, msg, strlen(msg), 3, &out, &why), -1, name);
	ok(errno == EINVAL && why.len > 0 && out.len == 0,
	    "EINVAL, a reason (%s), nothing written", sbuf_str(&why));
	sbuf_fini(&out);
	sbuf_fini(&why);
}

static void
test_refuse(const struct dkim_key *k)
{
	struct dkim_sign *s;
	struct sbuf why, out;
	char *big;
	size_t n = DKIM_HEADER_MAX + 10;

	refuse(k, "To: a@b.example\r\n\r\nbody\r\n", "no From");
	refuse(k, "From: a@b.example\r\nFrom: c@d.example\r\n\r\nbody\r\n",
	    "two From fields");
	refuse(k, "\r\nFrom: a@b.example\r\n", "From only in the body");
	refuse(k, "", "empty message");

	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&out, DKIM_SIG_MAX);
	big = malloc(n);
	memcpy(big, "From: a@b.example\r\nX: ", 23);
	memset(big + 23, 'x', n - 23);
	s = dkim_sign_init(k, "example.com", "sel", NULL, &why);
	errno = 0;
	is_int(dkim_sign_update(s, big, n), -1, "header over 1 MB refused");
	is_int(errno, E2BIG, "E2BIG");
	is_int(dkim_sign_final(s, &out, &why), -1, "and final fails");
	dkim_sign_free(&s);
	free(big);

	ok(dkim_sign_init(k, "exa mple.com", "sel", NULL, &why) == NULL,
	    "bad domain refused");
	ok(dkim_sign_init(k, "example.com", "a/b", NULL, &why) == NULL,
	    "bad selector refused");
	ok(dkim_sign_init(k, "example.com", "", NULL, &why) == NULL,
	    "empty selector refused");
	ok(!dkim_name_valid("a..b") && !dkim_name_valid(".a") &&
	    !dkim_name_valid("a.") && dkim_name_valid("s1._x.example-1.com"),
	    "dkim_name_valid");
	sbuf_fini(&why);
	sbuf_fini(&out);
}

static void
from_ok(const char *msg, const char *want)
{
	struct sbuf d, why;

	sbuf_init(&d, DKIM_NAME_MAX + 1);
	sbuf_init(&why, DKIM_WHY_MAX);
	if (dkim_from_domain(msg, strlen(msg), &d, &why) == 0)
		is_str(d.s, want, want);
	else
		ok(0, "%s: %s", want, sbuf_str(&why));
	sbuf_fini(&d);
	sbuf_fini(&why);
}

static void
from_bad(const char *msg, const char *name)
{
	struct sbuf d, why;

	sbuf_init(&d, DKIM_NAME_MAX + 1);
	sbuf_init(&why, DKIM_WHY_MAX);
	is_int(dkim_from_domain(msg, strlen(msg), &d, &why), -1, name);
	sbuf_fini(&d);
	sbuf_fini(&why);
}

static void
test_from(void)
{
	from_ok("From: Joe <Joe@Example.COM>\r\n\r\n", "example.com");
	from_ok("To: x@y.org\r\nfrom: joe@a.example (Joe <x@evil.example>)\n",
	    "a.example");
	from_ok("FROM : \"a@b <c>\" <c@d.org>\r\n", "d.org");
	from_ok("From:\r\n  Joe\r\n <j@x.org>\r\nSubject: s\r\n", "x.org");
	from_ok("From: a@one.example, b@two.example\r\n", "one.example");
	from_bad("From: a@b.example\r\nFrom: c@d.example\r\n", "two From");
	from_bad("Subject: x\r\n\r\nFrom: a@b.example\r\n", "From in body");
	from_bad("From: a@../etc\r\n", "a domain that is a path");
	from_bad("From: undisclosed\r\n", "no @");
	from_bad("From: a@b/c.example\r\n", "slash in domain");
	from_bad("Fromage: a@b.example\r\n", "Fromage is not From");
}

static void
write_file(const char *path, const struct sbuf *b, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, b->s, b->len) != (ssize_t)b->len ||
	    fchmod(fd, mode) < 0 || close(fd) < 0)
		ok(0, "write %s", path);
}

static void
test_keys(const struct dkim_key *ed)
{
	char dir[] = "/tmp/tern-dkim-unit.XXXXXX", path[256];
	struct dkim_key *k = NULL;
	struct sbuf pem, why, dom, txt;

	sbuf_init(&pem, DKIM_KEY_FILE_MAX);
	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&dom, DKIM_NAME_MAX + 1);
	sbuf_init(&txt, DKIM_SIG_MAX);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	is_int(dkim_key_pem(ed, &pem), 0, "PEM of a key");
	snprintf(path, sizeof path, "%s/example.com.sel.key", dir);
	write_file(path, &pem, 0600);
	is_int(dkim_key_load(path, &k, &why), 0, "0600 key loads");
	ok(k != NULL && dkim_key_alg(k) == DKIM_ED25519_SHA256, "Ed25519");
	dkim_key_free(&k);
	ok(k == NULL, "dkim_key_free NULLs");
	chmod(path, 0640);
	is_int(dkim_key_load(path, &k, &why), 0,
	    "0640 key loads (tern-setup: user:ternq 0640)");
	dkim_key_free(&k);
	chmod(path, 0660);
	errno = 0;
	is_int(dkim_key_load(path, &k, &why), -1, "group-writable key refused");
	ok(errno == EPERM && strstr(sbuf_str(&why), "chmod 600") != NULL,
	    "EPERM, says chmod 600");
	chmod(path, 0604);
	is_int(dkim_key_load(path, &k, &why), -1, "world-readable key refused");

	is_int(dkim_select(dir, "sel", "a.b.example.com", &k, &dom, &why), -1,
	    "select: a bad key file is an error, not silence");
	chmod(path, 0600);
	is_int(dkim_select(dir, "sel", "a.b.example.com", &k, &dom, &why), 1,
	    "select: parent domain's key");
	is_str(sbuf_str(&dom), "example.com", "d= is the parent domain");
	dkim_key_free(&k);
	is_int(dkim_select(dir, "sel", "example.com", &k, &dom, &why), 1,
	    "select: the domain itself");
	dkim_key_free(&k);
	is_int(dkim_select(dir, "other", "example.com", &k, &dom, &why), 0,
	    "select: other selector, no key");
	is_int(dkim_select(dir, "sel", "example.org", &k, &dom, &why), 0,
	    "select: other domain, no key");
	snprintf(path, sizeof path, "%s/com.sel.key", dir);
	write_file(path, &pem, 0600);
	is_int(dkim_select(dir, "sel", "x.org", &k, &dom, &why), 0,
	    "select: no key");
	is_int(dkim_select(dir, "sel", "com", &k, &dom, &why), 0,
	    "select: never a top-level domain");
	is_int(dkim_select(dir, "sel", "../x", &k, &dom, &why), -1,
	    "select: a path is not a domain");
	unlink(path);

	sbuf_reset(&pem);
	snprintf(path, sizeof path, "%s/junk.key", dir);
	(void)sbuf_cat_s(&pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n");
	write_file(path, &pem, 0600);
	errno = 0;
	is_int(dkim_key_load(path, &k, &why), -1, "junk refused");
	is_int(errno, EINVAL, "EINVAL");
	unlink(path);
	snprintf(path, sizeof path, "%s/example.com.sel.key", dir);
	unlink(path);
	rmdir(dir);

	is_int(dkim_key_generate(DKIM_RSA_SHA256, 512, &k, &why), -1,
	    "512-bit RSA refused");
	is_int(dkim_key_txt(ed, "example.com", "sel", &txt), 0, "txt");
	ok(txt.len > 40 && memcmp(txt.s, "sel._domainkey.example.com. IN TXT "
	    "( \"v=DKIM1; k=ed25519; p=", 58) == 0 &&
	    memcmp(txt.s + txt.len - 4, "\" )\n", 4) == 0, "txt: zone syntax");
	sbuf_fini(&pem);
	sbuf_fini(&why);
	sbuf_fini(&dom);
	sbuf_fini(&txt);
}

/* A message file signed as tern-remote does. */
static int
sign_fd(const char *dir, const char *msg, struct sbuf *out, struct sbuf *dom)
{
	char path[256];
	struct sbuf why;
	int fd, rc;

	snprintf(path, sizeof path, "%s/msg", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return -2;
	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_reset(out);
	rc = dkim_sign_fd(fd, dir, "sel", out, dom, &why);
	if (rc == 1 && lseek(fd, 0, SEEK_CUR) != (off_t)strlen(msg))
		rc = -3;	/* the offset moved */
	close(fd);
	unlink(path);
	sbuf_fini(&why);
	return rc;
}

/*
 * The header block is read DKIM_HEAD_FIRST bytes first: a From line past
 * them, and an end of the header block on each byte around the seam,
 * still sign (with a 100 KiB body after it).
 */
static void
sign_fd_seams(const char *dir, struct sbuf *out, struct sbuf *dom)
{
	struct sbuf m;
	int bad = 0, shift;

	sbuf_init(&m, 4 * DKIM_HEAD_FIRST + 200 * 1024);
	while (m.len < DKIM_HEAD_FIRST + 500)
		(void)sbuf_cat_s(&m, "X-Pad: 0123456789012345678901234567\r\n");
	(void)sbuf_cat_s(&m, "From: a@example.com\r\n\r\n");
	while (m.len < 100 * 1024)
		(void)sbuf_cat_s(&m, "body body body body body body body\r\n");
	is_int(sign_fd(dir, sbuf_str(&m), out, dom), 1,
	    "sign_fd: From past the first read: signed");
	for (shift = -4; shift <= 4; shift++) {
		sbuf_reset(&m);
		(void)sbuf_cat_s(&m, "From: a@example.com\r\nX-Pad: ");
		while ((long)m.len < (long)DKIM_HEAD_FIRST - 4 + shift)
			(void)sbuf_cat_c(&m, 'p');
		(void)sbuf_cat_s(&m, "\r\n\r\nbody\r\n");
		if (sign_fd(dir, sbuf_str(&m), out, dom) != 1)
			bad = 1;
	}
	ok(!bad, "sign_fd: the header's end on each byte around the seam");
	sbuf_fini(&m);
}

static void
test_sign_fd(const struct dkim_key *ed)
{
	char dir[] = "/tmp/tern-dkim-unit.XXXXXX", path[256];
	struct sbuf pem, out, dom, big;

	sbuf_init(&pem, DKIM_KEY_FILE_MAX);
	sbuf_init(&out, DKIM_SIG_MAX);
	sbuf_init(&dom, DKIM_NAME_MAX + 1);
	sbuf_init(&big, 4 * DKIM_HEADER_MAX);
	if (mkdtemp(dir) == NULL || dkim_key_pem(ed, &pem) < 0) {
		ok(0, "setup");
		return;
	}
	snprintf(path, sizeof path, "%s/example.com.sel.key", dir);
	write_file(path, &pem, 0600);
	is_int(sign_fd(dir, msg1, &out, &dom), 1, "sign_fd: signed");
	ok(out.len > 16 && memcmp(out.s, "DKIM-Signature: ", 16) == 0 &&
	    strcmp(sbuf_str(&dom), "example.com") == 0, "sign_fd: field, d=");
	is_int(sign_fd(dir, "From: a@example.org\r\n\r\nx\r\n", &out, &dom),
	    0, "sign_fd: no key for the domain: 0");
	is_int(sign_fd(dir, "To: a@example.com\r\n\r\nx\r\n", &out, &dom), 0,
	    "sign_fd: no From: 0");
	(void)sbuf_cat_s(&big, "From: a@example.com\r\n");
	while (big.len < DKIM_HEADER_MAX + 100)
		(void)sbuf_cat_s(&big, "X-Pad: 0123456789012345678901234567\r\n");
	(void)sbuf_cat_s(&big, "\r\nbody\r\n");
	is_int(sign_fd(dir, sbuf_str(&big), &out, &dom), 0,
	    "sign_fd: header over 1 MB: 0 (sent unsigned)");
	sign_fd_seams(dir, &out, &dom);
	chmod(path, 0644);
	is_int(sign_fd(dir, msg1, &out, &dom), -1,
	    "sign_fd: unusable key: -1 (defer)");
	unlink(path);
	rmdir(dir);
	sbuf_fini(&pem);
	sbuf_fini(&out);
	sbuf_fini(&dom);
	sbuf_fini(&big);
}

static void
test_rsa(void)
{
	struct dkim_key *k = NULL;
	struct sbuf why, out, txt;
	const char *p;
	size_t n;
	int strings_ok = 1;

	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&out, DKIM_SIG_MAX);
	sbuf_init(&txt, DKIM_SIG_MAX);
	is_int(dkim_key_generate(DKIM_RSA_SHA256, 2048, &k, &why), 0,
	    "RSA 2048 generated");
	is_int(dkim_key_bits(k), 2048, "2048 bits");
	is_int(sign(k, msg1, sizeof msg1 - 1, 100, &out, &why), 0, "RSA signs");
	ok(lines_short(&out), "RSA: folded below 78 columns");
	is_int(dkim_key_txt(k, "example.com", "sel", &txt), 0, "RSA txt");
	(void)sbuf_nul(&txt);
	/* Every "..." string is at most 255 bytes; there are two. */
	for (p = txt.s, n = 0; (p = strchr(p, '"')) != NULL; n++) {
		const char *q = strchr(p + 1, '"');

		if (q == NULL || q - p - 1 > 255)
			strings_ok = 0;
		p = q ? q + 1 : p + 1;
	}
	ok(strings_ok && n == 2, "RSA txt split into 255-byte strings (%zu)",
	    n);
	dkim_key_free(&k);
	sbuf_fini(&why);
	sbuf_fini(&out);
	sbuf_fini(&txt);
}

int
main(void)
{
	struct dkim_key *ed = NULL;
	struct sbuf why;

	sbuf_init(&why, DKIM_WHY_MAX);
	test_canon();
	if (dkim_key_generate(DKIM_ED25519_SHA256, 0, &ed, &why) < 0) {
		ok(0, "ed25519 key: %s", sbuf_str(&why));
		return done_testing();
	}
	test_sign(ed);
	test_refuse(ed);
	test_from();
	test_keys(ed);
	test_sign_fd(ed);
	test_rsa();
	dkim_key_free(&ed);
	sbuf_fini(&why);
	return done_testing();
}
