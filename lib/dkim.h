/*
 * dkim.h - DKIM signing (RFC 6376) with relaxed/relaxed canonicalization,
 * rsa-sha256 and ed25519-sha256 (RFC 8463), through OpenSSL 3's EVP API.
 *
 * Streaming.  dkim_sign_init() takes a key, the signing domain (d=), the
 * selector (s=) and the list of header fields to sign; dkim_sign_update()
 * is fed the message in chunks of any size (a line or a CRLF may be
 * split across chunks); dkim_sign_final() appends
 * the complete "DKIM-Signature: ..." field to out, folded so no line
 * reaches 78 columns (a tab counted as 8; only a tag that cannot be split,
 * such as a 250-byte d=, makes a longer line), each line CRLF-terminated.
 * Only the header block is held in memory (at most DKIM_HEADER_MAX bytes,
 * else E2BIG); the body is hashed as it streams by.  A bare LF and a bare CR
 * are each read as CRLF, as lib/smtpc puts them on the wire (no bare CR
 * or LF is ever sent), so the signature covers what the receiver gets.
 *
 * Canonicalization (RFC 6376 3.4.2, 3.4.4): a header field's name is
 * lowercased, the field unfolded, runs of SP/HTAB become one SP, blanks at
 * the end of the value and around the colon go; in the body, blanks at
 * line ends go, runs of blanks become one SP, empty lines at the end go,
 * a body that is non-empty after that ends in CRLF, and an empty body is
 * the empty string (3.4.4 as published in RFC 6376; the "CRLF for an empty
 * body" rule is the simple algorithm's, 3.4.3; dkimpy and OpenDKIM agree).
 *
 * Signed fields (h=): each name in the policy list (dkim_default_headers
 * when NULL; a name ending in '*' is a prefix, "List-*") is listed once per
 * instance present, instances taken bottom-up (RFC 6376 5.4.2), at most
 * DKIM_INSTANCES_MAX of one name; From is always signed and listed one
 * more time than present (over-signing: a From added later breaks the
 * signature).  A message without exactly one From is refused (EINVAL), as
 * is a header with more than DKIM_FIELDS_MAX fields.
 *
 * Keys.  dkim_key_load() reads a PEM private key (PKCS#8 or traditional
 * RSA) from a regular file that must not be readable or writable by group
 * or others (refused otherwise, like ssh does); RSA keys must have at least
 * DKIM_RSA_BITS_MIN bits.  dkim_key_generate() makes one (RSA: bits, 0 for
 * DKIM_RSA_BITS_DEFAULT; Ed25519: bits ignored).  dkim_key_pem() appends
 * the private key as PKCS#8 PEM (a secret: sbuf_fini_secret it).
 * dkim_key_txt() appends the DNS record to publish, in zone-file syntax:
 *   SEL._domainkey.DOMAIN. IN TXT ( "v=DKIM1; k=rsa; p=..." ... )\n
 * with the text split into strings of at most 255 bytes, one per line.
 * p= is the DER SubjectPublicKeyInfo (RSA) or the raw 32-byte key
 * (Ed25519, RFC 8463 4.2), base64.  dkim_key_record() appends only the
 * joined text ("v=DKIM1; k=...; p=...").
 *
 * Choosing the signing domain.  dkim_from_domain() finds the single From
 * field at the start of a message and gives the domain of its (first)
 * address, lowercased and checked (letters, digits, '-', '_', dots between
 * labels): it is untrusted input that becomes a file name.
 * dkim_select(key_dir, selector, domain) looks for key_dir/DOMAIN.SEL.key,
 * then for each parent domain with at least two labels (a key for
 * example.com signs mail from a.b.example.com: DMARC's relaxed alignment
 * accepts it); the first file that exists is loaded and its domain is the
 * d= to use.  Returns 1 and sets *key_r and domain_r, 0 when no key exists
 * (do not sign), -1 when a key file exists but cannot be used.  One
 * open() per candidate: the key folder scales to any number of domains.
 *
 * Return convention: 0 (or 1/0 for dkim_select), or -1 with errno set and,
 * when why_r is not NULL, a reason put in it (DKIM_WHY_MAX is room
 * enough); nothing is printed.  Ownership: dkim_key_free(&k) and
 * dkim_sign_free(&s) free and NULL; a signer keeps a reference to its key
 * and to its header list, which must outlive it.
 */
#ifndef TERN_DKIM_H
#define TERN_DKIM_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;
struct dkim_key;
struct dkim_sign;

#define DKIM_HEADER_MAX		(1024 * 1024)	/* header block held in memory */
#define DKIM_FIELDS_MAX		10000	/* header fields in one message */
#define DKIM_INSTANCES_MAX	32	/* instances of one name signed */
#define DKIM_SIG_MAX		16384	/* the DKIM-Signature field we write */
#define DKIM_RSA_BITS_MIN	1024	/* RFC 8301 3.2 */
#define DKIM_RSA_BITS_DEFAULT	2048
#define DKIM_RSA_BITS_MAX	8192	/* beyond: slow, and TXT records grow */
#define DKIM_KEY_FILE_MAX	65536	/* largest PEM key file read */
#define DKIM_NAME_MAX		253	/* a domain name (RFC 1035 2.3.4) */
#define DKIM_WHY_MAX		1024
#define DKIM_TXT_STRING_MAX	255	/* one <character-string> (RFC 1035 3.3) */

enum dkim_alg {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256,
};

/* From, To, Cc, Subject, Date, Message-ID, ..., List-*; NULL-terminated. */
extern const char *const dkim_default_headers[];

int	dkim_key_load(const char *path, struct dkim_key **key_r,
	    struct sbuf *why_r);
int	dkim_key_generate(enum dkim_alg, unsigned bits, struct dkim_key **key_r,
	    struct sbuf *why_r);
int	dkim_key_pem(const struct dkim_key *, struct sbuf *out);
int	dkim_key_record(const struct dkim_key *, struct sbuf *out);
int	dkim_key_txt(const struct dkim_key *, const char *domain,
	    const char *selector, struct sbuf *out);
enum dkim_alg dkim_key_alg(const struct dkim_key *);
unsigned dkim_key_bits(const struct dkim_key *);
void	dkim_key_free(struct dkim_key **);

/* A domain (d=) or selector (s=) we are willing to write: LDH labels, '_'
 * allowed, no empty label, at most DKIM_NAME_MAX bytes. */
int	dkim_name_valid(const char *);

struct dkim_sign *dkim_sign_init(const struct dkim_key *, const char *domain,
	    const char *selector, const char *const *headers,
	    struct sbuf *why_r);
/* t= (seconds since the epoch); dkim_sign_init sets time(NULL). */
void	dkim_sign_set_time(struct dkim_sign *, int64_t);
int	dkim_sign_update(struct dkim_sign *, const void *, size_t);
int	dkim_sign_final(struct dkim_sign *, struct sbuf *out,
	    struct sbuf *why_r);
void	dkim_sign_free(struct dkim_sign **);

int	dkim_from_domain(const void *msg, size_t n, struct sbuf *domain_r,
	    struct sbuf *why_r);
int	dkim_select(const char *key_dir, const char *selector,
	    const char *domain, struct dkim_key **key_r, struct sbuf *domain_r,
	    struct sbuf *why_r);

/*
 * dkim_sign_fd(): what a sender calls.  Reads the message in fd with
 * pread (its header block DKIM_HEAD_FIRST bytes first, then and for
 * signing DKIM_CHUNK bytes at a time, from offset 0; the file offset is
 * left alone), finds its From domain, selects the key
 * (dkim_select) and signs.  Returns 1 with the field appended to out and
 * d= in domain_r; 0 when the message is not to be signed (no key for its
 * domain, not exactly one From, no usable domain, a header block over
 * DKIM_HEADER_MAX), with why_r saying why; -1 when it should be signed but
 * cannot be (a key file exists but is unusable, a read error): the caller
 * defers rather than send it unsigned.
 */
#define DKIM_CHUNK		65536
#define DKIM_HEAD_FIRST		8192	/* the first read for the header */
int	dkim_sign_fd(int fd, const char *key_dir, const char *selector,
	    struct sbuf *out, struct sbuf *domain_r, struct sbuf *why_r);

/*
 * The canonicalizers, exposed for tests and fuzzing.
 * dkim_canon_header() appends the relaxed form of one header field
 * ("Name: value", folded or not, with or without its final line end):
 * "name:value\r\n".  The body canonicalizer calls emit with canonical
 * bytes as they become final; emit returns 0, or -1 to stop (the error is
 * returned by the update/final call).
 */
int	dkim_canon_header(const void *field, size_t n, struct sbuf *out);

struct dkim_body {
	int	(*emit)(void *arg, const void *, size_t);
	void	 *arg;
	uint64_t  crlfs;	/* line ends seen, not yet written */
	int	  wsp;		/* blanks seen, not yet written */
	int	  cr;		/* a CR waits for its LF */
	int	  any;		/* something was written */
	int	  failed;
};
void	dkim_body_init(struct dkim_body *,
	    int (*emit)(void *, const void *, size_t), void *arg);
int	dkim_body_update(struct dkim_body *, const void *, size_t);
int	dkim_body_final(struct dkim_body *);

#endif
