/* authc.c - tern-authd client and wire format; see authc.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/io.h"
#include "lib/sock.h"

/* ---- field checks shared by encoders and decoders ---- */

static int
has_nul(const unsigned char *p, size_t n)
{
	return n > 0 && memchr(p, '\0', n) != NULL;
}

/* No NUL, no control byte, no DEL. */
static int
is_text(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

static int
is_service(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > AUTHC_SERVICE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-'))
			return 0;
	return 1;
}

static int
is_ip(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 1;
	return n <= AUTHC_IP_MAX && is_text(p, n) && sock_ip_text_valid(p, n);
}

/* ---- records ---- */

struct wbuf {
	unsigned char	*p;
	size_t		 len, size;
	int		 err;
};

static void
put(struct wbuf *w, int type, const void *val, size_t n)
{
	if (w->err)
		return;
	if (n > UINT32_MAX || w->size - w->len < AUTHC_REC_HDR ||
	    w->size - w->len - AUTHC_REC_HDR < n) {
		w->err = E2BIG;
		return;
	}
	w->p[w->len] = (unsigned char)type;
	w->p[w->len + 1] = (unsigned char)(n >> 24);
	w->p[w->len + 2] = (unsigned char)(n >> 16);
	w->p[w->len + 3] = (unsigned char)(n >> 8);
	w->p[w->len + 4] = (unsigned char)n;
	if (n > 0)
		memcpy(w->p + w->len + AUTHC_REC_HDR, val, n);
	w->len += AUTHC_REC_HDR + n;
}

static void
put_u8(struct wbuf *w, int type, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(w, type, &b, 1);
}

static int
finish(struct wbuf *w, size_t *len_r)
{
	put(w, AUTHC_T_END, NULL, 0);
	if (w->err) {
		explicit_bzero(w->p, w->size);
		errno = w->err;
		return -1;
	}
	*len_r = w->len;
	return 0;
}

struct cur {
	const unsigned char *p;
	size_t		 left;
};

/* The next record, which must be of type 'want' with a length in
 * [min, max]: 0, or -1 with *why_r. */
static int
get(struct cur *c, int want, size_t min, size_t max,
    const unsigned char **val_r, size_t *len_r, const char **why_r)
{
	size_t n;

	if (c->left < AUTHC_REC_HDR) {
		*why_r = "truncated record";
		return -1;
	}
	n = ((size_t)c->p[1] << 24) | ((size_t)c->p[2] << 16) |
	    ((size_t)c->p[3] << 8) | (size_t)c->p[4];
	if (c->p[0] != want) {
		*why_r = "unexpected record type";
		return -1;
	}
	if (n > c->left - AUTHC_REC_HDR) {
		*why_r = "truncated record";
		return -1;
	}
	if (n < min || n > max) {
		*why_r = "record length out of range";
		return -1;
	}
	*val_r = c->p + AUTHC_REC_HDR;
	*len_r = n;
	c->p += AUTHC_REC_HDR + n;
	c->left -= AUTHC_REC_HDR + n;
	return 0;
}

/* The type of the next record, or -1 at the end of the buffer. */
static int
peek(const struct cur *c)
{
	return c->left > 0 ? c->p[0] : -1;
}

static int
get_end(struct cur *c, const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (get(c, AUTHC_T_END, 0, 0, &v, &n, why_r) == -1)
		return -1;
	if (c->left != 0) {
		*why_r = "bytes after END";
		return -1;
	}
	return 0;
}

static int
proto_err(const char **why_r, const char *why)
{
	if (why != NULL)
		*why_r = why;
	errno = EPROTO;
	return -1;
}

int
authc_frame(const void *buf, size_t len, size_t max)
{
	const unsigned char *p = buf;
	size_t off = 0, n;

	if (len > max)
		return -1;
	while (len - off >= AUTHC_REC_HDR) {
		n = ((size_t)p[off + 1] << 24) | ((size_t)p[off + 2] << 16) |
		    ((size_t)p[off + 3] << 8) | (size_t)p[off + 4];
		if (n > max - off - AUTHC_REC_HDR)
			return -1;
		if (p[off] == AUTHC_T_END) {
			if (n != 0 || off + AUTHC_REC_HDR != len)
				return -1;
			return 1;
		}
		if (n > len - off - AUTHC_REC_HDR)
			return 0;
		off += AUTHC_REC_HDR + n;
	}
	return len - off < AUTHC_REC_HDR && len < max ? 0 : -1;
}

/* ---- request ---- */

int
authc_req_encode(const struct authc_req *r, unsigned char *buf, size_t size,
    size_t *len_r)
{
	struct wbuf w = { buf, 0, size, 0 };
	const char *ip = r->remote_ip != NULL ? r->remote_ip : "";
	const char *origin = r->origin_ip != NULL ? r->origin_ip : "";
	size_t slen, iplen, olen = strlen(origin);

	if (r->service == NULL || r->user == NULL ||
	    (r->pass == NULL && r->pass_len != 0)) {
		errno = EINVAL;
		return -1;
	}
	slen = strlen(r->service);
	iplen = strlen(ip);
	if (!is_service((const unsigned char *)r->service, slen) ||
	    !is_ip((const unsigned char *)ip, iplen) ||
	    r->user_len == 0 || r->user_len > AUTHC_USER_MAX ||
	    has_nul((const unsigned char *)r->user, r->user_len) ||
	    r->pass_len > AUTHC_PASS_MAX ||
	    has_nul((const unsigned char *)r->pass, r->pass_len) ||
	    (r->tls != 0 && r->tls != 1) ||
	    (r->authzid == NULL && r->authzid_len != 0) ||
	    r->authzid_len > AUTHC_USER_MAX ||
	    has_nul((const unsigned char *)r->authzid, r->authzid_len) ||
	    !is_ip((const unsigned char *)origin, olen)) {
		errno = EINVAL;
		return -1;
	}
	put_u8(&w, AUTHC_T_VERSION, AUTHC_VERSION);
	put(&w, AUTHC_T_SERVICE, r->service, slen);
	put(&w, AUTHC_T_IP, ip, iplen);
	put(&w, AUTHC_T_USER, r->user, r->user_len);
	put(&w, AUTHC_T_PASS, r->pass, r->pass_len);
	put_u8(&w, AUTHC_T_TLS, (unsigned)r->tls);
	if (r->authzid_len > 0)
		put(&w, AUTHC_T_AUTHZ, r->authzid, r->authzid_len);
	if (olen > 0)
		put(&w, AUTHC_T_ORIGIN, origin, olen);
	return finish(&w, len_r);
}

void
authc_request_wipe(struct authc_request *q)
{
	explicit_bzero(q, sizeof(*q));
}

static int
req_fields(struct cur *c, struct authc_request *q, const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (get(c, AUTHC_T_VERSION, 1, 1, &v, &n, why_r) == -1)
		return -1;
	if (v[0] != AUTHC_VERSION)
		return proto_err(why_r, "unknown version");
	if (get(c, AUTHC_T_SERVICE, 1, AUTHC_SERVICE_MAX, &v, &n, why_r) == -1)
		return -1;
	if (!is_service(v, n))
		return proto_err(why_r, "bad service");
	memcpy(q->service, v, n);
	if (get(c, AUTHC_T_IP, 0, AUTHC_IP_MAX, &v, &n, why_r) == -1)
		return -1;
	if (!is_ip(v, n))
		return proto_err(why_r, "bad client IP");
	memcpy(q->ip, v, n);
	if (get(c, AUTHC_T_USER, 1, AUTHC_USER_MAX, &v, &n, why_r) == -1)
		return -1;
	if (has_nul(v, n))
		return proto_err(why_r, "NUL in user");
	memcpy(q->user, v, n);
	q->user_len = n;
	if (get(c, AUTHC_T_PASS, 0, AUTHC_PASS_MAX, &v, &n, why_r) == -1)
		return -1;
	if (has_nul(v, n))
		return proto_err(why_r, "NUL in password");
	memcpy(q->pass, v, n);
	q->pass_len = n;
	if (get(c, AUTHC_T_TLS, 1, 1, &v, &n, why_r) == -1)
		return -1;
	if (v[0] > 1)
		return proto_err(why_r, "bad tls flag");
	q->tls = v[0];
	if (peek(c) == AUTHC_T_AUTHZ) {
		if (get(c, AUTHC_T_AUTHZ, 1, AUTHC_USER_MAX, &v, &n,
		    why_r) == -1)
			return -1;
		if (has_nul(v, n))
			return proto_err(why_r, "NUL in authzid");
		memcpy(q->authzid, v, n);
		q->authzid_len = n;
	}
	if (peek(c) == AUTHC_T_ORIGIN) {
		if (get(c, AUTHC_T_ORIGIN, 1, AUTHC_IP_MAX, &v, &n,
		    why_r) == -1)
			return -1;
		if (!is_ip(v, n))
			return proto_err(why_r, "bad origin IP");
		memcpy(q->origin, v, n);
	}
	return get_end(c, why_r);
}

int
authc_req_decode(const void *buf, size_t len, struct authc_request *q,
    const char **why_r)
{
	struct cur c = { buf, len };

	authc_request_wipe(q);
	if (req_fields(&c, q, why_r) == -1) {
		authc_request_wipe(q);
		return proto_err(why_r, NULL);
	}
	return 0;
}

/* ---- reply ---- */

static int
reply_valid(const struct authc_reply *r)
{
	size_t n;

	if ((unsigned)r->status > AUTHC_THROTTLED ||
	    (unsigned)r->reason > AUTHC_R_LAST)
		return 0;
	if (r->status != AUTHC_OK)
		return 1;
	n = strnlen(r->addr, sizeof(r->addr));
	if (n == 0 || n > MAPS_ADDR_MAX ||
	    !is_text((const unsigned char *)r->addr, n))
		return 0;
	n = strnlen(r->home, sizeof(r->home));
	if (n == 0 || n > MAPS_PATH_MAX || r->home[0] != '/' ||
	    !is_text((const unsigned char *)r->home, n))
		return 0;
	n = strnlen(r->host, sizeof(r->host));
	if (n == 0 || n > MAPS_DOMAIN_MAX ||
	    !is_text((const unsigned char *)r->host, n))
		return 0;
	return 1;
}

int
authc_reply_encode(const struct authc_reply *r, unsigned char *buf,
    size_t size, size_t *len_r)
{
	struct wbuf w = { buf, 0, size, 0 };
	unsigned char u[8];
	int i;

	if (!reply_valid(r)) {
		errno = EINVAL;
		return -1;
	}
	put_u8(&w, AUTHC_T_VERSION, AUTHC_VERSION);
	put_u8(&w, AUTHC_T_STATUS, (unsigned)r->status);
	put_u8(&w, AUTHC_T_REASON, (unsigned)r->reason);
	if (r->status == AUTHC_OK) {
		put(&w, AUTHC_T_ADDR, r->addr, strlen(r->addr));
		for (i = 0; i < 4; i++)
			u[i] = (unsigned char)(r->uid >> (24 - 8 * i));
		put(&w, AUTHC_T_UID, u, 4);
		for (i = 0; i < 8; i++)
			u[i] = (unsigned char)(r->quota >> (56 - 8 * i));
		put(&w, AUTHC_T_QUOTA, u, 8);
		put(&w, AUTHC_T_HOME, r->home, strlen(r->home));
		put(&w, AUTHC_T_HOST, r->host, strlen(r->host));
	}
	return finish(&w, len_r);
}

static int
get_text(struct cur *c, int type, size_t max, char *out,
    const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (get(c, type, 1, max, &v, &n, why_r) == -1)
		return -1;
	if (!is_text(v, n))
		return proto_err(why_r, "control byte in a reply field");
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

static int
reply_account(struct cur *c, struct authc_reply *r, const char **why_r)
{
	const unsigned char *v;
	size_t n, i;

	if (get_text(c, AUTHC_T_ADDR, MAPS_ADDR_MAX, r->addr, why_r) == -1)
		return -1;
	if (get(c, AUTHC_T_UID, 4, 4, &v, &n, why_r) == -1)
		return -1;
	for (i = 0; i < 4; i++)
		r->uid = (r->uid << 8) | v[i];
	if (get(c, AUTHC_T_QUOTA, 8, 8, &v, &n, why_r) == -1)
		return -1;
	for (i = 0; i < 8; i++)
		r->quota = (r->quota << 8) | v[i];
	if (get_text(c, AUTHC_T_HOME, MAPS_PATH_MAX, r->home, why_r) == -1)
		return -1;
	if (r->home[0] != '/')
		return proto_err(why_r, "home not absolute");
	return get_text(c, AUTHC_T_HOST, MAPS_DOMAIN_MAX, r->host, why_r);
}

static int
reply_fields(struct cur *c, struct authc_reply *r, const char **why_r)
{
	const unsigned char *v;
	size_t n;

	if (get(c, AUTHC_T_VERSION, 1, 1, &v, &n, why_r) == -1)
		return -1;
	if (v[0] != AUTHC_VERSION)
		return proto_err(why_r, "unknown version");
	if (get(c, AUTHC_T_STATUS, 1, 1, &v, &n, why_r) == -1)
		return -1;
	if (v[0] > AUTHC_THROTTLED)
		return proto_err(why_r, "unknown status");
	r->status = (enum authc_status)v[0];
	if (get(c, AUTHC_T_REASON, 1, 1, &v, &n, why_r) == -1)
		return -1;
	if (v[0] > AUTHC_R_LAST)
		return proto_err(why_r, "unknown reason");
	r->reason = (enum authc_reason)v[0];
	if (r->status == AUTHC_OK && reply_account(c, r, why_r) == -1)
		return -1;
	return get_end(c, why_r);
}

int
authc_reply_decode(const void *buf, size_t len, struct authc_reply *r,
    const char **why_r)
{
	struct cur c = { buf, len };

	memset(r, 0, sizeof(*r));
	if (reply_fields(&c, r, why_r) == -1) {
		memset(r, 0, sizeof(*r));
		r->status = AUTHC_TEMPFAIL;
		return proto_err(why_r, NULL);
	}
	return 0;
}

const char *
authc_status_name(enum authc_status s)
{
	switch (s) {
	case AUTHC_OK:
		return "ok";
	case AUTHC_FAIL:
		return "fail";
	case AUTHC_TEMPFAIL:
		return "tempfail";
	case AUTHC_THROTTLED:
		return "throttled";
	}
	return "?";
}

/* ---- the client ---- */

static int
send_all(int fd, const unsigned char *p, size_t n, int64_t deadline)
{
	ssize_t w;

	while (n > 0) {
		if (io_wait(fd, POLLOUT, deadline) == -1)
			return -1;
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read a whole reply (up to END) into buf: its length, or -1. */
static ssize_t
recv_reply(int fd, unsigned char *buf, size_t size, int64_t deadline)
{
	size_t len = 0;
	ssize_t r;
	int f;

	for (;;) {
		if (io_wait(fd, POLLIN, deadline) == -1)
			return -1;
		r = read(fd, buf + len, size - len);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = len == 0 ? ECONNRESET : EPROTO;
			return -1;
		}
		len += (size_t)r;
		f = authc_frame(buf, len, size);
		if (f == 1)
			return (ssize_t)len;
		if (f == -1) {
			errno = EPROTO;
			return -1;
		}
	}
}

static void
local_fail(struct authc_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->status = AUTHC_FAIL;
	rep->reason = AUTHC_R_NONE;
}

int
authc_verify(const char *sockpath, const struct authc_req *req,
    struct authc_reply *rep, int64_t timeout_ms)
{
	unsigned char out[AUTHC_REQ_MAX], in[AUTHC_REPLY_MAX];
	int64_t deadline = io_deadline_ms(timeout_ms);
	const char *why;
	size_t len;
	ssize_t n;
	int fd, e;

	memset(rep, 0, sizeof(*rep));
	rep->status = AUTHC_TEMPFAIL;
	if (authc_req_encode(req, out, sizeof(out), &len) == -1) {
		explicit_bzero(out, sizeof(out));
		if (errno != EINVAL)
			return -1;
		local_fail(rep);
		return 0;
	}
	if ((fd = sock_unix_connect(sockpath, 0, deadline)) == -1) {
		e = errno;
		explicit_bzero(out, sizeof(out));
		errno = e;
		return -1;
	}
	e = send_all(fd, out, len, deadline);
	explicit_bzero(out, sizeof(out));
	if (e == -1 ||
	    (n = recv_reply(fd, in, sizeof(in), deadline)) == -1 ||
	    authc_reply_decode(in, (size_t)n, rep, &why) == -1) {
		e = errno;
		(void)close(fd);
		rep->status = AUTHC_TEMPFAIL;
		errno = e;
		return -1;
	}
	(void)close(fd);
	return 0;
}
