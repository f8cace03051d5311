/*
 * authd_worker.c - a hash-checking process of tern-authd: one request at
 * a time over a SOCK_SEQPACKET descriptor; see authd.h.
 *
 * Unknown accounts, accounts without a usable hash and disabled accounts
 * all run a password check (against a dummy hash made at start-up, in
 * password_scheme: the scheme tern-user gives new accounts) and answer
 * FAIL, so neither the answer nor its time tells which accounts exist.
 * A yescrypt dummy against SHA512-CRYPT accounts told them apart: tens of
 * milliseconds against 1.5.  The reason travels back to the main process
 * for its log only.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/cdbmap.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"
#include "lib/throttle.h"
#include "authd/authd.h"

static struct cdbmap *accounts, *secrets;
static char dummy[PASSWD_HASH_MAX + 1];

/* Open a map when not open yet: 0, or -1 (logged once per failure). */
static int
map_open(struct cdbmap **m, const char *path)
{
	if (*m != NULL)
		return 0;
	if ((*m = cdbmap_open(path, 0)) == NULL) {
		log_err_sys("cannot open %s", path);
		return -1;
	}
	return 0;
}

/* Look up key in m: 1 (copied into out, NUL-terminated), 0, or -1. */
static int
map_get(struct cdbmap **m, const char *path, const char *key, size_t klen,
    char *out, size_t size, size_t *len_r)
{
	const void *v;
	size_t vlen;
	int r;

	if (map_open(m, path) == -1)
		return -1;
	r = cdbmap_lookup(*m, key, klen, &v, &vlen);
	if (r == -1)
		log_err_sys("lookup in %s", path);
	if (r != 1)
		return r;
	if (vlen >= size || memchr(v, '\0', vlen) != NULL) {
		log_err("%s: record for %s too long or with a NUL", path,
		    log_esc(key, klen));
		return -1;
	}
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	*len_r = vlen;
	return 1;
}

static int
copy_slice(char *out, size_t size, const struct maps_slice *s)
{
	if (s->n == 0 || s->n >= size)
		return -1;
	memcpy(out, s->p, s->n);
	out[s->n] = '\0';
	return 0;
}

/* The account record of key into rep (status OK fields): 1 found and
 * active, 0 not found, 2 disabled, 3 moving, -1 error. */
static int
account(const struct worker_cfg *cfg, const char *key, size_t klen,
    struct authc_reply *rep)
{
	char rec[MAPS_RECORD_MAX + 1];
	struct maps_record mr;
	const char *why;
	size_t n;
	int r;

	r = map_get(&accounts, cfg->accounts, key, klen, rec, sizeof(rec), &n);
	if (r != 1)
		return r;
	if (maps_account_decode(rec, n, &mr, &why) == -1) {
		log_err("accounts.cdb: %s: %s", log_esc(key, klen), why);
		return -1;
	}
	if (klen > MAPS_ADDR_MAX ||
	    copy_slice(rep->home, sizeof(rep->home), &mr.home) == -1 ||
	    copy_slice(rep->host, sizeof(rep->host), &mr.host) == -1) {
		log_err("accounts.cdb: %s: field too long", log_esc(key, klen));
		return -1;
	}
	memcpy(rep->addr, key, klen);
	rep->addr[klen] = '\0';
	rep->uid = mr.uid;
	rep->quota = mr.quota;
	switch (mr.status) {
	case MAPS_ACTIVE:
		return 1;
	case MAPS_DISABLED:
		return 2;
	case MAPS_MOVING:
		return 3;
	}
	return 2;
}

/* Equal n bytes, in a time that depends on n only. */
static int
same(const char *a, const char *b, size_t n)
{
	volatile unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Not OK: no account data leaves this process. */
static void
scrub(struct authc_reply *rep)
{
	memset(rep->addr, 0, sizeof(rep->addr));
	memset(rep->home, 0, sizeof(rep->home));
	memset(rep->host, 0, sizeof(rep->host));
	rep->uid = 0;
	rep->quota = 0;
}

/*
 * The account's part of the answer once the credentials are right (acct
 * from account()): one place for both paths, so a master login meets the
 * same disabled and moving accounts as a password does.  Anything but OK
 * scrubs the account data (none leaves this process).
 */
static void
verdict(struct authc_reply *rep, int acct)
{
	if (acct == -1) {
		rep->status = AUTHC_TEMPFAIL;
		rep->reason = AUTHC_R_MAPS;
	} else if (acct == 0) {
		rep->status = AUTHC_FAIL;
		rep->reason = AUTHC_R_UNKNOWN;
	} else if (acct == 2) {
		rep->status = AUTHC_FAIL;
		rep->reason = AUTHC_R_DISABLED;
	} else if (acct == 3) {
		/* The right password, the mailbox in transit: come back. */
		rep->status = AUTHC_TEMPFAIL;
		rep->reason = AUTHC_R_MOVING;
	} else {
		rep->status = AUTHC_OK;
		rep->reason = AUTHC_R_NONE;
		return;
	}
	scrub(rep);
}

/*
 * A master login (doc/proxy.md): from a trusted proxy's network, the
 * master identity and secret, for the account q->authzid.  No hash: the
 * secret is compared in constant time.
 */
static void
check_master(const struct worker_cfg *cfg, const struct authc_request *q,
    struct authc_reply *rep)
{
	struct sbuf key;
	size_t ml = strlen(cfg->master_user);
	int acct = 0, ok;

	ok = q->ip[0] != '\0' && cfg->nproxies > 0 &&
	    cidr_match(cfg->proxies, cfg->nproxies, q->ip) &&
	    cfg->master_secret_len > 0 && q->user_len == ml &&
	    memcmp(q->user, cfg->master_user, ml) == 0 &&
	    q->pass_len == cfg->master_secret_len &&
	    same(q->pass, cfg->master_secret, q->pass_len);
	sbuf_init(&key, AUTHC_USER_MAX + 1);
	if (ok && maps_addr_valid(q->authzid, q->authzid_len) &&
	    maps_key(&key, q->authzid, q->authzid_len) == 0)
		acct = account(cfg, key.s, key.len, rep);
	sbuf_fini(&key);
	if (!ok) {
		rep->status = AUTHC_FAIL;
		rep->reason = AUTHC_R_PASSWORD;
		scrub(rep);
		return;
	}
	verdict(rep, acct);
}

static void
check(const struct worker_cfg *cfg, const struct authc_request *q,
    struct authc_reply *rep)
{
	char hash[PASSWD_HASH_MAX + 2];
	struct sbuf key;
	size_t hlen;
	int acct = 0, sec = 0, v;

	memset(rep, 0, sizeof(*rep));
	if (q->authzid_len > 0) {
		check_master(cfg, q, rep);
		return;
	}
	sbuf_init(&key, AUTHC_USER_MAX + 1);
	hash[0] = '\0';
	if (maps_addr_valid(q->user, q->user_len) &&
	    maps_key(&key, q->user, q->user_len) == 0) {
		acct = account(cfg, key.s, key.len, rep);
		if (acct > 0)
			sec = map_get(&secrets, cfg->secrets, key.s, key.len,
			    hash, sizeof(hash), &hlen);
	}
	sbuf_fini(&key);
	/* The same work on every path: one hash check. */
	v = passwd_verify(q->pass, sec == 1 ? hash : dummy, cfg->allow_plain);
	explicit_bzero(hash, sizeof(hash));
	if (acct == -1 || sec == -1) {
		verdict(rep, -1);
		return;
	}
	if (acct != 0 && (sec == 0 || v != 1)) {
		rep->status = AUTHC_FAIL;
		rep->reason = sec == 0 || v == -1 ? AUTHC_R_NOPASS :
		    AUTHC_R_PASSWORD;
		scrub(rep);
		return;
	}
	verdict(rep, acct);
}

static void
make_dummy(enum passwd_scheme scheme)
{
	unsigned char rnd[18];
	char pw[sizeof(rnd) * 2 + 1];
	struct sbuf out;
	size_t i;

	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		pw[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		pw[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	pw[sizeof(pw) - 1] = '\0';
	sbuf_init(&out, PASSWD_HASH_MAX + 1);
	if (passwd_hash(pw, scheme, &out) == -1 ||
	    out.len >= sizeof(dummy))
		die_sys(EXIT_TEMP, "worker: cannot make the dummy hash");
	memcpy(dummy, out.s, out.len);
	dummy[out.len] = '\0';
	explicit_bzero(pw, sizeof(pw));
	sbuf_fini(&out);
}

void
worker_main(int fd, const struct worker_cfg *cfg)
{
	unsigned char in[AUTHC_REQ_MAX + 1], out[AUTHC_REPLY_MAX];
	struct authc_request q;
	struct authc_reply rep;
	const char *why;
	size_t olen;
	ssize_t n;

	make_dummy(cfg->dummy_scheme);
	for (;;) {
		n = recv(fd, in, sizeof(in), 0);
		if (n == 0)
			exit(EXIT_OK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die_sys(EXIT_TEMP, "worker: recv");
		}
		if (authc_req_decode(in, (size_t)n, &q, &why) == -1) {
			memset(&rep, 0, sizeof(rep));
			rep.status = AUTHC_TEMPFAIL;
			rep.reason = AUTHC_R_NONE;
		} else
			check(cfg, &q, &rep);
		explicit_bzero(in, sizeof(in));
		authc_request_wipe(&q);
		if (authc_reply_encode(&rep, out, sizeof(out), &olen) == -1)
			die_sys(EXIT_TEMP, "worker: encode");
		while (send(fd, out, olen, MSG_NOSIGNAL) == -1)
			if (errno != EINTR)
				die_sys(EXIT_TEMP, "worker: send");
	}
}
