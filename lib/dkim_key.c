/* dkim_key.c - DKIM keys, DNS records and the choice of d=; see dkim.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/base64.h"
#include "lib/dkim.h"
#include "lib/dkim_int.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

/* Check the key type and size; takes pkey. */
static int
key_wrap(EVP_PKEY *pkey, struct dkim_key **key_r, struct sbuf *why_r)
{
	struct dkim_key *k;
	int bits = EVP_PKEY_get_bits(pkey);

	*key_r = NULL;
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		bits = 256;
	} else if (!EVP_PKEY_is_a(pkey, "RSA")) {
		dkim_why(why_r, "not an RSA or Ed25519 key");
		goto bad;
	} else if (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX) {
		dkim_why(why_r, "RSA key of %d bits (%d to %d allowed)", bits,
		    DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
		goto bad;
	}
	if ((k = mem_alloc(1, sizeof(*k))) == NULL) {
		dkim_why(why_r, "out of memory");
		EVP_PKEY_free(pkey);
		return -1;
	}
	k->pkey = pkey;
	k->alg = EVP_PKEY_is_a(pkey, "RSA") ? DKIM_RSA_SHA256 :
	    DKIM_ED25519_SHA256;
	k->bits = (unsigned)bits;
	*key_r = k;
	return 0;
bad:
	EVP_PKEY_free(pkey);
	errno = EINVAL;
	return -1;
}

/* Read a key file that only its owner, and at most its group, may read
 * (STYLE: secret files).  Group read is allowed because tern-setup hands
 * keys over as user:ternq 0640 (INSTALL 4, tern-remote(8)): the remote
 * service reads them as tern, an executed tern-remote as ternq.  Group
 * write or execute and any right for others are refused. */
static int
key_read(const char *path, struct sbuf *pem, struct sbuf *why_r)
{
	struct stat st;
	char buf[4096];
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) <
	    0) {
		e = errno;
		dkim_why(why_r, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		dkim_why(why_r, "%s: %s", path, strerror(e));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		dkim_why(why_r, "%s: not a regular file", path);
		e = EINVAL;
		goto fail;
	}
	if ((st.st_mode & 037) != 0) {
		dkim_why(why_r, "%s: mode %04o: a private key must not be "
		    "open to others nor writable by its group (chmod 600, "
		    "or 640 as tern-setup sets)", path,
		    (unsigned)(st.st_mode & 07777));
		e = EPERM;
		goto fail;
	}
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			dkim_why(why_r, "%s: %s", path, strerror(e));
			goto fail;
		}
		if (n == 0)
			break;
		if (sbuf_cat_n(pem, buf, (size_t)n) < 0) {
			e = errno;
			dkim_why(why_r, "%s: larger than %d bytes", path,
			    DKIM_KEY_FILE_MAX);
			goto fail;
		}
	}
	explicit_bzero(buf, sizeof buf);
	(void)close(fd);	/* read only: nothing to lose */
	return 0;
fail:
	explicit_bzero(buf, sizeof buf);
	(void)close(fd);
	errno = e;
	return -1;
}

int
dkim_key_load(const char *path, struct dkim_key **key_r, struct sbuf *why_r)
{
	struct sbuf pem;
	BIO *mem = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	*key_r = NULL;
	sbuf_init(&pem, DKIM_KEY_FILE_MAX);
	if (key_read(path, &pem, why_r) < 0)
		goto out;
	if (pem.len > INT32_MAX ||
	    (mem = BIO_new_mem_buf(pem.s, (int)pem.len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL)) == NULL) {
		dkim_why(why_r, "%s: not a PEM private key", path);
		dkim_why_ssl(why_r);
		errno = EINVAL;
		goto out;
	}
	rc = key_wrap(pkey, key_r, why_r);
out:
	BIO_free(mem);
	sbuf_fini_secret(&pem);
	return rc;
}

int
dkim_key_generate(enum dkim_alg alg, unsigned bits, struct dkim_key **key_r,
    struct sbuf *why_r)
{
	EVP_PKEY *pkey = NULL;

	*key_r = NULL;
	switch (alg) {
	case DKIM_RSA_SHA256:
		if (bits == 0)
			bits = DKIM_RSA_BITS_DEFAULT;
		if (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX) {
			dkim_why(why_r, "RSA keys have %d to %d bits",
			    DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
			errno = EINVAL;
			return -1;
		}
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	case DKIM_ED25519_SHA256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	}
	if (pkey == NULL) {
		dkim_why(why_r, "key generation failed");
		dkim_why_ssl(why_r);
		errno = EIO;
		return -1;
	}
	return key_wrap(pkey, key_r, why_r);
}

/* Append what a memory BIO holds. */
static int
bio_to_sbuf(BIO *mem, struct sbuf *out)
{
	char *p;
	long n = BIO_get_mem_data(mem, &p);

	if (n < 0)
		return -1;
	return sbuf_cat_n(out, p, (size_t)n);
}

int
dkim_key_pem(const struct dkim_key *k, struct sbuf *out)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	int rc = -1;

	if (mem == NULL)
		mem = BIO_new(BIO_s_mem());
	if (mem == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (PEM_write_bio_PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL,
	    NULL) == 1 && bio_to_sbuf(mem, out) == 0)
		rc = 0;
	else if (errno == 0)
		errno = EIO;
	ERR_clear_error();
	BIO_free(mem);
	return rc;
}

int
dkim_key_record(const struct dkim_key *k, struct sbuf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof raw;
	int n, rc = -1;

	if (k->alg == DKIM_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 ||
		    rawlen != 32)
			goto out;
		if (sbuf_cat_s(out, "v=DKIM1; k=ed25519; p=") < 0 ||
		    base64_encode(raw, rawlen, out) < 0)
			goto out;
	} else {
		if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0)
			goto out;
		if (sbuf_cat_s(out, "v=DKIM1; k=rsa; p=") < 0 ||
		    base64_encode(der, (size_t)n, out) < 0)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	ERR_clear_error();
	if (rc < 0 && errno == 0)
		errno = EIO;
	return rc;
}

int
dkim_key_txt(const struct dkim_key *k, const char *domain,
    const char *selector, struct sbuf *out)
{
	struct sbuf rec;
	size_t pos, n;
	int rc = -1;

	if (!dkim_name_valid(domain) || !dkim_name_valid(selector)) {
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&rec, DKIM_SIG_MAX);
	if (dkim_key_record(k, &rec) < 0 ||
	    sbuf_printf(out, "%s._domainkey.%s. IN TXT (", selector,
	    domain) < 0)
		goto out;
	for (pos = 0; pos < rec.len; pos += n) {
		n = rec.len - pos;
		if (n > DKIM_TXT_STRING_MAX)
			n = DKIM_TXT_STRING_MAX;
		if (sbuf_printf(out, "%s\"%.*s\"", pos == 0 ? " " : "\n\t",
		    (int)n, rec.s + pos) < 0)
			goto out;
	}
	rc = sbuf_cat_s(out, " )\n");
out:
	sbuf_fini(&rec);
	return rc;
}

enum dkim_alg
dkim_key_alg(const struct dkim_key *k)
{
	return k->alg;
}

unsigned
dkim_key_bits(const struct dkim_key *k)
{
	return k->bits;
}

void
dkim_key_free(struct dkim_key **kp)
{
	if (*kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

/*
 * The From domain.
 */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* The From field's value, unfolded, from the header block at msg. */
static int
from_value(const char *msg, size_t n, struct sbuf *val, struct sbuf *why_r)
{
	size_t pos = 0, end, froms = 0;
	const char *nl;
	int in_from = 0;

	while (pos < n) {
		nl = memchr(msg + pos, '\n', n - pos);
		end = nl ? (size_t)(nl - msg) + 1 : n;
		if (end - pos == 1 || (end - pos == 2 && msg[pos] == '\r'))
			break;	/* the empty line: end of the header */
		if (is_wsp(msg[pos])) {
			if (in_from && sbuf_cat_n(val, msg + pos, end - pos) <
			    0)
				goto big;
		} else {
			in_from = end - pos > 5 &&
			    strncasecmp(msg + pos, "from", 4) == 0;
			if (in_from) {
				size_t i = pos + 4;

				while (i < end && is_wsp(msg[i]))
					i++;
				in_from = i < end && msg[i] == ':';
				if (in_from && (++froms > 1 || sbuf_cat_n(val,
				    msg + i + 1, end - i - 1) < 0))
					goto big;
			}
		}
		pos = end;
	}
	if (froms == 1)
		return 0;
big:
	dkim_why(why_r, froms > 1 ? "more than one From field" :
	    froms == 0 ? "no From field" : "From field too long");
	errno = EINVAL;
	return -1;
}

/* Skip a comment "( ... )", nested, with quoted pairs; returns the index
 * after it. */
static size_t
skip_comment(const char *p, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth == 0)
			return i + 1;
	}
	return n;
}

int
dkim_from_domain(const void *msg, size_t n, struct sbuf *domain_r,
    struct sbuf *why_r)
{
	struct sbuf val, addr;
	const char *p, *at;
	size_t i, k;
	int rc = -1, q = 0;

	sbuf_init(&val, DKIM_SIG_MAX);
	sbuf_init(&addr, DKIM_SIG_MAX);
	if (from_value(msg, n, &val, why_r) < 0)
		goto out;
	/* Drop comments and quoted strings; the address is inside <> when
	 * there are any, else the whole value (the first of a list). */
	p = val.s;
	for (i = 0; i < val.len; i++) {
		if (q && p[i] == '\\') {
			i++;
		} else if (p[i] == '"') {
			q = !q;
		} else if (!q && p[i] == '(') {
			i = skip_comment(p, val.len, i) - 1;
		} else if (!q && p[i] == '<') {
			sbuf_reset(&addr);
		} else if (!q && (p[i] == '>' || p[i] == ',')) {
			break;
		} else if (!q && p[i] != '\r' && p[i] != '\n' &&
		    !is_wsp(p[i]) && sbuf_cat_c(&addr, p[i]) < 0)
			goto bad;
	}
	at = addr.len ? memrchr(addr.s, '@', addr.len) : NULL;
	if (at == NULL)
		goto bad;
	k = addr.len - (size_t)(at + 1 - addr.s);
	sbuf_reset(domain_r);
	for (i = 0; i < k; i++) {
		int c = (unsigned char)at[1 + i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (sbuf_cat_c(domain_r, c) < 0)
			goto bad;
	}
	if (sbuf_nul(domain_r) < 0 || !dkim_name_valid(domain_r->s))
		goto bad;
	rc = 0;
	goto out;
bad:
	sbuf_reset(domain_r);
	dkim_why(why_r, "no usable domain in the From field");
	errno = EINVAL;
out:
	sbuf_fini(&val);
	sbuf_fini(&addr);
	return rc;
}

/*
 * Choosing the key: KEYDIR/DOMAIN.SELECTOR.key, then parent domains.
 */

int
dkim_select(const char *key_dir, const char *selector, const char *domain,
    struct dkim_key **key_r, struct sbuf *domain_r, struct sbuf *why_r)
{
	struct sbuf path;
	const char *d = domain, *dot;
	int rc = -1;

	*key_r = NULL;
	if (!dkim_name_valid(domain) || !dkim_name_valid(selector)) {
		dkim_why(why_r, "bad domain or selector");
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&path, 4096);
	/* Stop before the last label: never a key for a top-level domain. */
	while ((dot = strchr(d, '.')) != NULL) {
		sbuf_reset(&path);
		if (sbuf_printf(&path, "%s/%s.%s.key", key_dir, d,
		    selector) < 0) {
			dkim_why(why_r, "key path too long");
			goto out;
		}
		if (dkim_key_load(path.s, key_r, why_r) == 0) {
			if (sbuf_set_s(domain_r, d) < 0 ||
			    sbuf_nul(domain_r) < 0) {
				dkim_why(why_r, "domain too long");
				dkim_key_free(key_r);
				goto out;
			}
			rc = 1;
			goto out;
		}
		if (errno != ENOENT)
			goto out;	/* a key that exists but is unusable */
		d = dot + 1;
	}
	rc = 0;
out:
	sbuf_fini(&path);
	return rc;
}

/*
 * Signing a message file.
 */

/*
 * Does p[0..n) hold an empty line (LF LF or LF CR LF), the end of the
 * header block?  One pass, stopping there: a message with CR LF line ends
 * has no LF LF, and looking for it first scanned the whole chunk.
 */
static int
has_empty_line(const char *p, size_t n)
{
	const char *e = p + n, *q = p;

	while ((q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
		q++;
		if ((q < e && q[0] == '\n') ||
		    (e - q >= 2 && q[0] == '\r' && q[1] == '\n'))
			return 1;
	}
	return 0;
}

/*
 * The header block of the message in fd (it may be cut at the limit).
 * Read DKIM_HEAD_FIRST bytes first (most header blocks end well within
 * them: a 100 KiB message's body is not read for its From line), then
 * DKIM_CHUNK at a time; each read's bytes are searched once (with the
 * 2 bytes before them, for an empty line across the seam).
 */
static int
fd_head(int fd, struct sbuf *head)
{
	off_t off = 0;
	ssize_t n;
	size_t want, from;

	while (head->len < DKIM_HEADER_MAX) {
		want = off == 0 ? DKIM_HEAD_FIRST : DKIM_CHUNK;
		if (sbuf_reserve(head, want) < 0)
			return -1;
		n = pread(fd, head->s + head->len, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		from = head->len > 2 ? head->len - 2 : 0;
		head->len += (size_t)n;
		off += n;
		if (has_empty_line(head->s + from, head->len - from))
			break;
	}
	return 0;
}

static int
fd_sign(int fd, struct dkim_sign *s)
{
	char buf[DKIM_CHUNK];
	off_t off = 0;
	ssize_t n;

	for (;;) {
		n = pread(fd, buf, sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (dkim_sign_update(s, buf, (size_t)n) < 0)
			return -1;
		off += n;
	}
}

int
dkim_sign_fd(int fd, const char *key_dir, const char *selector,
    struct sbuf *out, struct sbuf *domain_r, struct sbuf *why_r)
{
	struct sbuf head, from;
	struct dkim_key *k = NULL;
	struct dkim_sign *s = NULL;
	int rc = -1, e;

	sbuf_init(&head, DKIM_HEADER_MAX + DKIM_CHUNK);
	sbuf_init(&from, DKIM_NAME_MAX + 1);
	if (fd_head(fd, &head) < 0) {
		e = errno;
		dkim_why(why_r, "reading the message: %s", strerror(e));
		errno = e;
		goto out;
	}
	if (dkim_from_domain(head.s, head.len, &from, why_r) < 0) {
		rc = 0;
		goto out;
	}
	if ((rc = dkim_select(key_dir, selector, from.s, &k, domain_r,
	    why_r)) <= 0) {
		if (rc == 0)
			dkim_why(why_r, "no key for %s", from.s);
		goto out;
	}
	rc = -1;
	if ((s = dkim_sign_init(k, domain_r->s, selector, NULL, why_r)) ==
	    NULL)
		goto out;
	if (fd_sign(fd, s) < 0 && errno != E2BIG) {
		e = errno;
		dkim_why(why_r, "reading the message: %s", strerror(e));
		errno = e;
		goto out;
	}
	if (dkim_sign_final(s, out, why_r) < 0) {
		/* The message's fault: send it unsigned. */
		if (errno == EINVAL || errno == E2BIG)
			rc = 0;
		goto out;
	}
	rc = 1;
out:
	dkim_sign_free(&s);
	dkim_key_free(&k);
	sbuf_fini(&head);
	sbuf_fini(&from);
	return rc;
}
