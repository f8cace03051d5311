/* remote.c - tern-qmgr <-> tern-remote records and destinations (remote.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bsd/string.h>

#include "lib/cdbmap.h"
#include "lib/envelope.h"
#include "lib/maps.h"
#include "lib/qid.h"
#include "lib/remote.h"
#include "lib/sbuf.h"

static int
perr(const char **why_r, const char *why)
{
	*why_r = why;
	errno = EPROTO;
	return -1;
}

static int
is_text(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

void
remote_req_init(struct remote_req *r)
{
	memset(r, 0, sizeof(*r));
}

void
remote_req_fini(struct remote_req *r)
{
	free(r->rcpt);
	free(r->dsn);
	memset(r, 0, sizeof(*r));
}

static int
add_rcpt_n(struct remote_req *r, const void *p, size_t n)
{
	void *nr;

	if (n == 0 || n > ENV_ADDR_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (r->nrcpt >= REMOTE_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((nr = reallocarray(r->rcpt, r->nrcpt + 1, sizeof(*r->rcpt))) ==
	    NULL)
		return -1;
	r->rcpt = nr;
	if ((nr = reallocarray(r->dsn, r->nrcpt + 1, sizeof(*r->dsn))) ==
	    NULL)
		return -1;
	r->dsn = nr;
	memcpy(r->rcpt[r->nrcpt], p, n);
	r->rcpt[r->nrcpt][n] = '\0';
	memset(&r->dsn[r->nrcpt], 0, sizeof(r->dsn[r->nrcpt]));
	r->nrcpt++;
	return 0;
}

int
remote_req_add_rcpt(struct remote_req *r, const char *addr)
{
	return add_rcpt_n(r, addr, strlen(addr));
}

int
remote_req_add_rcpt_dsn(struct remote_req *r, const char *addr,
    unsigned notify, const char *orcpt)
{
	size_t n = orcpt != NULL ? strlen(orcpt) : 0;

	if ((notify != 0 && !envelope_notify_ok(notify)) ||
	    !envelope_orcpt_ok(orcpt, n)) {
		errno = EINVAL;
		return -1;
	}
	if (add_rcpt_n(r, addr, strlen(addr)) < 0)
		return -1;
	r->dsn[r->nrcpt - 1].notify = notify;
	if (n > 0)
		memcpy(r->dsn[r->nrcpt - 1].orcpt, orcpt, n + 1);
	return 0;
}

static int
put_s(struct sbuf *out, int type, const char *s)
{
	return envelope_rec_put(out, type, s, strlen(s));
}

static int
put_b(struct sbuf *out, int type, unsigned v)
{
	unsigned char c = (unsigned char)v;

	return envelope_rec_put(out, type, &c, 1);
}

int
remote_req_encode(const struct remote_req *r, struct sbuf *out)
{
	size_t i;

	sbuf_reset(out);
	if (!qid_valid(r->qid, strlen(r->qid)) || r->hop[0] == '\0' ||
	    r->nrcpt == 0 || r->ret > ENV_RET_HDRS ||
	    !envelope_envid_ok(r->envid, strlen(r->envid))) {
		errno = EINVAL;
		return -1;
	}
	if (put_s(out, REMOTE_T_QID, r->qid) < 0 ||
	    put_s(out, REMOTE_T_HOP, r->hop) < 0 ||
	    put_b(out, REMOTE_T_TLS, r->tls) < 0 ||
	    put_s(out, REMOTE_T_SENDER, r->sender) < 0 ||
	    put_b(out, REMOTE_T_BODY, r->body) < 0 ||
	    put_b(out, REMOTE_T_FLAGS, r->flags) < 0 ||
	    (r->ret != ENV_RET_NONE && put_b(out, REMOTE_T_RET, r->ret) < 0) ||
	    (r->envid[0] != '\0' && put_s(out, REMOTE_T_ENVID, r->envid) < 0))
		return -1;
	for (i = 0; i < r->nrcpt; i++) {
		const struct remote_dsn *d = r->dsn != NULL ? &r->dsn[i] : NULL;

		if (put_s(out, REMOTE_T_RCPT, r->rcpt[i]) < 0 ||
		    (d != NULL && d->notify != 0 &&
		    put_b(out, REMOTE_T_NOTIFY, d->notify) < 0) ||
		    (d != NULL && d->orcpt[0] != '\0' &&
		    put_s(out, REMOTE_T_ORCPT, d->orcpt) < 0))
			return -1;
	}
	return envelope_rec_put(out, REMOTE_T_END, NULL, 0);
}

/* The next record, which must be of type want, min..max bytes of text. */
static int
get(struct envelope_cursor *c, int want, size_t min, size_t max,
    const unsigned char **v, size_t *n, const char **why_r)
{
	int type;

	if (envelope_rec_get(c, &type, v, n) < 0)
		return perr(why_r, "truncated record");
	if (type != want)
		return perr(why_r, "unexpected record");
	if (*n < min || *n > max)
		return perr(why_r, "record length out of range");
	if (type != REMOTE_T_TLS && type != REMOTE_T_BODY &&
	    type != REMOTE_T_FLAGS && type != REMOTE_T_STATUS &&
	    type != REMOTE_T_RET && type != REMOTE_T_NOTIFY &&
	    type != REMOTE_T_PASSED && !is_text(*v, *n))
		return perr(why_r, "control byte in a record");
	return 0;
}

static void
copy(char *dst, const unsigned char *v, size_t n)
{
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
peek_type(const struct envelope_cursor *c)
{
	return c->left > 0 ? c->p[0] : -1;
}

/* The optional RET and ENVID records after the flags. */
static int
decode_dsn_head(struct envelope_cursor *c, struct remote_req *r,
    const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (peek_type(c) == REMOTE_T_RET) {
		if (get(c, REMOTE_T_RET, 1, 1, &v, &n, why_r) < 0)
			return -1;
		if (v[0] != ENV_RET_FULL && v[0] != ENV_RET_HDRS)
			return perr(why_r, "bad RET");
		r->ret = v[0];
	}
	if (peek_type(c) == REMOTE_T_ENVID) {
		if (get(c, REMOTE_T_ENVID, 1, ENV_ENVID_MAX, &v, &n, why_r) < 0)
			return -1;
		if (!envelope_envid_ok(v, n))
			return perr(why_r, "bad ENVID");
		copy(r->envid, v, n);
	}
	return 0;
}

/* The optional NOTIFY and ORCPT records after a recipient. */
static int
decode_dsn_rcpt(struct envelope_cursor *c, struct remote_dsn *d,
    const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (peek_type(c) == REMOTE_T_NOTIFY) {
		if (get(c, REMOTE_T_NOTIFY, 1, 1, &v, &n, why_r) < 0)
			return -1;
		if (v[0] == 0 || !envelope_notify_ok(v[0]))
			return perr(why_r, "bad NOTIFY");
		d->notify = v[0];
	}
	if (peek_type(c) == REMOTE_T_ORCPT) {
		if (get(c, REMOTE_T_ORCPT, 1, ENV_ORCPT_MAX, &v, &n, why_r) < 0)
			return -1;
		if (!envelope_orcpt_ok(v, n))
			return perr(why_r, "bad ORCPT");
		copy(d->orcpt, v, n);
	}
	return 0;
}

int
remote_req_decode(const void *buf, size_t len, struct remote_req *r,
    const char **why_r)
{
	struct envelope_cursor c = { buf, len };
	const unsigned char *v;
	size_t n;

	remote_req_fini(r);
	if (get(&c, REMOTE_T_QID, QID_LEN, QID_LEN, &v, &n, why_r) < 0)
		goto bad;
	if (!qid_valid((const char *)v, n)) {
		perr(why_r, "bad queue id");
		goto bad;
	}
	copy(r->qid, v, n);
	if (get(&c, REMOTE_T_HOP, 1, REMOTE_HOP_MAX, &v, &n, why_r) < 0)
		goto bad;
	copy(r->hop, v, n);
	if (get(&c, REMOTE_T_TLS, 1, 1, &v, &n, why_r) < 0)
		goto bad;
	if (v[0] > REMOTE_TLS_VERIFY) {
		perr(why_r, "bad TLS policy");
		goto bad;
	}
	r->tls = (enum remote_tls)v[0];
	if (get(&c, REMOTE_T_SENDER, 0, ENV_ADDR_MAX, &v, &n, why_r) < 0)
		goto bad;
	copy(r->sender, v, n);
	if (get(&c, REMOTE_T_BODY, 1, 1, &v, &n, why_r) < 0)
		goto bad;
	r->body = v[0];
	if (get(&c, REMOTE_T_FLAGS, 1, 1, &v, &n, why_r) < 0)
		goto bad;
	r->flags = v[0];
	if (decode_dsn_head(&c, r, why_r) < 0)
		goto bad;
	while (peek_type(&c) == REMOTE_T_RCPT) {
		if (get(&c, REMOTE_T_RCPT, 1, ENV_ADDR_MAX, &v, &n, why_r) < 0)
			goto bad;
		if (add_rcpt_n(r, v, n) < 0) {
			perr(why_r, "too many recipients");
			goto bad;
		}
		if (decode_dsn_rcpt(&c, &r->dsn[r->nrcpt - 1], why_r) < 0)
			goto bad;
	}
	if (r->nrcpt == 0) {
		perr(why_r, "no recipient");
		goto bad;
	}
	if (get(&c, REMOTE_T_END, 0, 0, &v, &n, why_r) < 0)
		goto bad;
	if (c.left != 0) {
		perr(why_r, "bytes after END");
		goto bad;
	}
	return 0;
bad:
	remote_req_fini(r);
	errno = EPROTO;
	return -1;
}

int
remote_res_encode(const struct remote_result *res, size_t n, struct sbuf *out)
{
	size_t i;

	sbuf_reset(out);
	for (i = 0; i < n; i++)
		if (put_b(out, REMOTE_T_STATUS, res[i].status) < 0 ||
		    put_s(out, REMOTE_T_RELAY, res[i].relay) < 0 ||
		    put_s(out, REMOTE_T_DIAG, res[i].diag) < 0 ||
		    put_b(out, REMOTE_T_PASSED, res[i].dsn_passed != 0) < 0)
			return -1;
	return envelope_rec_put(out, REMOTE_T_END, NULL, 0);
}

int
remote_res_decode(const void *buf, size_t len, struct remote_result *res,
    size_t nres, const char **why_r)
{
	struct envelope_cursor c = { buf, len };
	const unsigned char *v;
	size_t i, n;

	for (i = 0; i < nres; i++) {
		if (get(&c, REMOTE_T_STATUS, 1, 1, &v, &n, why_r) < 0)
			return -1;
		if (v[0] != REMOTE_SENT && v[0] != REMOTE_DEFER &&
		    v[0] != REMOTE_BOUNCE)
			return perr(why_r, "bad status");
		res[i].status = (enum remote_status)v[0];
		if (get(&c, REMOTE_T_RELAY, 0, REMOTE_RELAY_MAX, &v, &n,
		    why_r) < 0)
			return -1;
		copy(res[i].relay, v, n);
		if (get(&c, REMOTE_T_DIAG, 1, REMOTE_DIAG_MAX, &v, &n,
		    why_r) < 0)
			return -1;
		copy(res[i].diag, v, n);
		res[i].dsn_passed = 0;
		if (peek_type(&c) == REMOTE_T_PASSED) {
			if (get(&c, REMOTE_T_PASSED, 1, 1, &v, &n, why_r) < 0)
				return -1;
			if (v[0] > 1)
				return perr(why_r, "bad DSN flag");
			res[i].dsn_passed = v[0];
		}
	}
	if (get(&c, REMOTE_T_END, 0, 0, &v, &n, why_r) < 0)
		return -1;
	if (c.left != 0)
		return perr(why_r, "bytes after END");
	return 0;
}

static void
set_text(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

void
remote_result_set(struct remote_result *r, enum remote_status st,
    const char *relay, const char *diag)
{
	r->status = st;
	set_text(r->relay, sizeof(r->relay), relay != NULL ? relay : "");
	set_text(r->diag, sizeof(r->diag), diag != NULL && diag[0] != '\0' ?
	    diag : "4.0.0 no diagnostic");
}

const char *
remote_tls_name(enum remote_tls t)
{
	switch (t) {
	case REMOTE_TLS_NONE:
		return "none";
	case REMOTE_TLS_MAY:
		return "may";
	case REMOTE_TLS_MUST:
		return "must";
	case REMOTE_TLS_VERIFY:
		return "verify";
	}
	return "?";
}

int
remote_tls_parse(const char *s, enum remote_tls *t)
{
	if (strcmp(s, "none") == 0)
		*t = REMOTE_TLS_NONE;
	else if (strcmp(s, "may") == 0)
		*t = REMOTE_TLS_MAY;
	else if (strcmp(s, "must") == 0 || strcmp(s, "must-tls") == 0)
		*t = REMOTE_TLS_MUST;
	else if (strcmp(s, "verify") == 0)
		*t = REMOTE_TLS_VERIFY;
	else
		return -1;
	return 0;
}

enum remote_tls
remote_tls_policy(char *const *words, size_t n, const char *domain,
    enum remote_tls def)
{
	enum remote_tls t, star = def;
	const char *colon;
	size_t i, dl = strlen(domain);

	for (i = 0; i < n; i++) {
		if ((colon = strrchr(words[i], ':')) == NULL ||
		    remote_tls_parse(colon + 1, &t) < 0)
			continue;
		if ((size_t)(colon - words[i]) == dl &&
		    strncasecmp(words[i], domain, dl) == 0)
			return t;
		if (colon - words[i] == 1 && words[i][0] == '*')
			star = t;
	}
	return star;
}

/* routes[key]: 1 with hop set, 0 not found (or "local"), -1 error. */
static int
route(struct cdbmap *routes, const char *key, size_t n,
    char hop[REMOTE_HOP_MAX + 1])
{
	struct sbuf k;
	struct maps_nexthop nh;
	const char *why;
	const void *v;
	size_t vlen;
	int r;

	if (routes == NULL)
		return 0;
	sbuf_init(&k, MAPS_ADDR_MAX + 1);
	if (maps_key(&k, key, n) < 0) {
		sbuf_fini(&k);
		return -1;
	}
	r = cdbmap_lookup(routes, k.s, k.len, &v, &vlen);
	sbuf_fini(&k);
	if (r <= 0)
		return r;
	if (vlen == 0 || vlen > REMOTE_HOP_MAX ||
	    maps_nexthop_parse(v, vlen, &nh, &why) < 0) {
		errno = EPROTO;
		return -1;
	}
	if (nh.kind == MAPS_HOP_LOCAL)
		return 0;
	memcpy(hop, v, vlen);
	hop[vlen] = '\0';
	return 1;
}

int
remote_dest(struct cdbmap *routes, const char *relay_host, const char *addr,
    const char *storage_host, char hop[REMOTE_HOP_MAX + 1])
{
	const char *at = strrchr(addr, '@');
	const char *dom = at != NULL ? at + 1 : addr;
	int r;

	if ((r = route(routes, addr, strlen(addr), hop)) != 0 ||
	    (r = route(routes, dom, strlen(dom), hop)) != 0)
		return r < 0 ? -1 : 0;
	if (relay_host != NULL && relay_host[0] != '\0') {
		if (strlcpy(hop, relay_host, REMOTE_HOP_MAX + 1) >
		    REMOTE_HOP_MAX)
			return (errno = ENAMETOOLONG, -1);
		return 0;
	}
	if (storage_host != NULL && storage_host[0] != '\0')
		dom = storage_host;
	if (strlen(dom) + 5 > REMOTE_HOP_MAX)
		return (errno = ENAMETOOLONG, -1);
	(void)strlcpy(hop, "smtp:", REMOTE_HOP_MAX + 1);
	(void)strlcat(hop, dom, REMOTE_HOP_MAX + 1);
	return 0;
}
