/*
 * lspawn.c - request and result records between tern-qmgr, tern-lspawn
 * and tern-local (see lspawn.h), and the client of tern-lspawn.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/lspawn.h"
#include "lib/records.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

#define HDR	5	/* type byte + 4-byte length */

static int
proto_err(const char **why_r, const char *why)
{
	*why_r = why;
	errno = EPROTO;
	return -1;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int
put_rec(struct sbuf *out, int type, const void *p, size_t n)
{
	unsigned char h[HDR];

	if (n > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
	if (sbuf_cat_n(out, h, HDR) == -1)
		return -1;
	return n == 0 ? 0 : sbuf_cat_n(out, p, n);
}

static int
put_s(struct sbuf *out, int type, const char *s)
{
	return put_rec(out, type, s, strlen(s));
}

static int
put_u64(struct sbuf *out, int type, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
	return put_rec(out, type, b, sizeof(b));
}

/* Printable text: no NUL, no control byte, no DEL. */
static int
is_text(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7f)
			return 0;
	return 1;
}

static int
is_qid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > LSPAWN_QID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
is_name(const char *p, size_t n)
{
	if (n == 0 || n > LSPAWN_NAME_MAX || !is_text(p, n) ||
	    memchr(p, '/', n) != NULL)
		return 0;
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	return 1;
}

static int
is_path(const char *p, size_t n)
{
	return n > 0 && n <= LSPAWN_PATH_MAX && p[0] == '/' && is_text(p, n);
}

static int
is_addr(const char *p, size_t n, int empty_ok)
{
	if (n == 0)
		return empty_ok;
	return n <= LSPAWN_ADDR_MAX && is_text(p, n);
}

void
lspawn_req_init(struct lspawn_req *r)
{
	memset(r, 0, sizeof(*r));
}

void
lspawn_req_fini(struct lspawn_req *r)
{
	size_t i;

	for (i = 0; i < r->nrcpt; i++) {
		mem_free(&r->rcpt[i].addr);
		mem_free(&r->rcpt[i].orcpt);
	}
	mem_free(&r->rcpt);
	mem_free(&r->qid);
	mem_free(&r->path);
	mem_free(&r->sender);
	mem_free(&r->linked);
	lspawn_req_init(r);
}

static int
dup_checked(char **dst, const char *s, int ok)
{
	char *d;

	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	if ((d = mem_strdup(s)) == NULL)
		return -1;
	mem_free(dst);
	*dst = d;
	return 0;
}

int
lspawn_req_set(struct lspawn_req *r, const char *qid, const char *path,
    const char *sender)
{
	if (dup_checked(&r->qid, qid, is_qid(qid, strlen(qid))) == -1)
		return -1;
	if (path != NULL &&
	    dup_checked(&r->path, path, is_path(path, strlen(path))) == -1)
		return -1;
	return dup_checked(&r->sender, sender,
	    is_addr(sender, strlen(sender), 1));
}

static int
add_rcpt_n(struct lspawn_req *r, const char *addr, size_t n)
{
	struct lspawn_rcpt *nr;

	if (r->nrcpt >= LSPAWN_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	nr = mem_realloc(r->rcpt, r->nrcpt + 1, sizeof(*nr));
	if (nr == NULL)
		return -1;
	r->rcpt = nr;
	nr[r->nrcpt].orcpt = NULL;
	if ((nr[r->nrcpt].addr = mem_strndup(addr, n)) == NULL)
		return -1;
	r->nrcpt++;
	return 0;
}

int
lspawn_req_add_rcpt(struct lspawn_req *r, const char *addr,
    const char *orcpt)
{
	if (!is_addr(addr, strlen(addr), 0) ||
	    (orcpt != NULL && !is_addr(orcpt, strlen(orcpt), 0))) {
		errno = EINVAL;
		return -1;
	}
	if (add_rcpt_n(r, addr, strlen(addr)) == -1)
		return -1;
	if (orcpt != NULL && (r->rcpt[r->nrcpt - 1].orcpt =
	    mem_strdup(orcpt)) == NULL)
		return -1;
	return 0;
}

int
lspawn_req_set_linked(struct lspawn_req *r, const char *name)
{
	return dup_checked(&r->linked, name, is_name(name, strlen(name)));
}

int
lspawn_req_encode(const struct lspawn_req *r, struct sbuf *out)
{
	size_t i;

	if (r->qid == NULL || r->sender == NULL || r->nrcpt == 0) {
		errno = EINVAL;
		return -1;
	}
	if (put_s(out, LSPAWN_T_QID, r->qid) == -1)
		return -1;
	if (r->path != NULL && put_s(out, LSPAWN_T_PATH, r->path) == -1)
		return -1;
	if (put_s(out, LSPAWN_T_SENDER, r->sender) == -1)
		return -1;
	for (i = 0; i < r->nrcpt; i++) {
		if (put_s(out, LSPAWN_T_RCPT, r->rcpt[i].addr) == -1)
			return -1;
		if (r->rcpt[i].orcpt != NULL &&
		    put_s(out, LSPAWN_T_ORCPT, r->rcpt[i].orcpt) == -1)
			return -1;
	}
	if (r->linked != NULL && put_s(out, LSPAWN_T_LINKED, r->linked) == -1)
		return -1;
	if (r->has_quota && put_u64(out, LSPAWN_T_QUOTA, r->quota) == -1)
		return -1;
	return put_rec(out, LSPAWN_T_END, NULL, 0);
}

/* A cursor over records. */
struct cur {
	const unsigned char *p;
	size_t		 n;
	int		 type;
	const char	*v;
	size_t		 vlen;
};

/* 1: a record; -1: truncated. */
static int
next_rec(struct cur *c, const char **why_r)
{
	uint32_t len;

	if (c->n < HDR)
		return proto_err(why_r, c->n == 0 ? "missing END record" :
		    "truncated record header");
	c->type = c->p[0];
	len = get32(c->p + 1);
	if (len > c->n - HDR)
		return proto_err(why_r, "truncated record");
	c->v = (const char *)c->p + HDR;
	c->vlen = len;
	c->p += HDR + len;
	c->n -= HDR + len;
	return 1;
}

static int
take_s(char **dst, const struct cur *c)
{
	return (*dst = mem_strndup(c->v, c->vlen)) == NULL ? -1 : 0;
}

/* Request decoder states, in the order records must come. */
enum rstate { RS_START, RS_QID, RS_PATH, RS_SENDER, RS_RCPT, RS_ORCPT,
	RS_LINKED, RS_QUOTA };

static int
dec_rcpt(struct cur *c, struct lspawn_req *r, enum rstate *st,
    const char **why_r)
{
	if (c->type == LSPAWN_T_RCPT) {
		if (*st != RS_SENDER && *st != RS_RCPT && *st != RS_ORCPT)
			return proto_err(why_r, "recipient out of order");
		if (!is_addr(c->v, c->vlen, 0))
			return proto_err(why_r, "bad recipient");
		if (r->nrcpt >= LSPAWN_RCPT_MAX)
			return proto_err(why_r, "too many recipients");
		if (add_rcpt_n(r, c->v, c->vlen) == -1)
			return -1;
		*st = RS_RCPT;
		return 0;
	}
	if (*st != RS_RCPT)
		return proto_err(why_r, "original recipient out of order");
	if (!is_addr(c->v, c->vlen, 0))
		return proto_err(why_r, "bad original recipient");
	if (take_s(&r->rcpt[r->nrcpt - 1].orcpt, c) == -1)
		return -1;
	*st = RS_ORCPT;
	return 0;
}

static int
dec_one(struct cur *c, struct lspawn_req *r, enum rstate *st,
    const char **why_r)
{
	size_t i;

	switch (c->type) {
	case LSPAWN_T_QID:
		if (*st != RS_START)
			return proto_err(why_r, "queue id out of order");
		if (!is_qid(c->v, c->vlen))
			return proto_err(why_r, "bad queue id");
		*st = RS_QID;
		return take_s(&r->qid, c);
	case LSPAWN_T_PATH:
		if (*st != RS_QID)
			return proto_err(why_r, "path out of order");
		if (!is_path(c->v, c->vlen))
			return proto_err(why_r, "bad message path");
		*st = RS_PATH;
		return take_s(&r->path, c);
	case LSPAWN_T_SENDER:
		if (*st != RS_QID && *st != RS_PATH)
			return proto_err(why_r, "sender out of order");
		if (!is_addr(c->v, c->vlen, 1))
			return proto_err(why_r, "bad sender");
		*st = RS_SENDER;
		return take_s(&r->sender, c);
	case LSPAWN_T_RCPT:
	case LSPAWN_T_ORCPT:
		return dec_rcpt(c, r, st, why_r);
	case LSPAWN_T_LINKED:
		if (*st != RS_RCPT && *st != RS_ORCPT)
			return proto_err(why_r, "linked name out of order");
		if (!is_name(c->v, c->vlen))
			return proto_err(why_r, "bad linked name");
		*st = RS_LINKED;
		return take_s(&r->linked, c);
	case LSPAWN_T_QUOTA:
		if (*st != RS_RCPT && *st != RS_ORCPT && *st != RS_LINKED)
			return proto_err(why_r, "quota out of order");
		if (c->vlen != 8)
			return proto_err(why_r, "bad quota record");
		r->quota = 0;
		for (i = 0; i < 8; i++)
			r->quota = r->quota << 8 | (unsigned char)c->v[i];
		r->has_quota = 1;
		*st = RS_QUOTA;
		return 0;
	default:
		return proto_err(why_r, "unknown record type");
	}
}

int
lspawn_req_decode(const void *buf, size_t len, struct lspawn_req *r,
    const char **why_r)
{
	struct cur c = { .p = buf, .n = len };
	enum rstate st = RS_START;

	lspawn_req_fini(r);
	for (;;) {
		if (next_rec(&c, why_r) == -1)
			goto fail;
		if (c.type == LSPAWN_T_END) {
			if (c.vlen != 0) {
				proto_err(why_r, "END record with data");
				goto fail;
			}
			break;
		}
		if (dec_one(&c, r, &st, why_r) == -1) {
			if (errno != EPROTO)
				*why_r = "out of memory";
			goto fail;
		}
	}
	if (c.n != 0) {
		proto_err(why_r, "data after END");
		goto fail;
	}
	if (r->nrcpt == 0) {
		proto_err(why_r, st < RS_SENDER ? "missing queue id or sender" :
		    "no recipient");
		goto fail;
	}
	return 0;
fail:
	lspawn_req_fini(r);
	return -1;
}

void
lspawn_results_init(struct lspawn_results *rs)
{
	rs->r = NULL;
	rs->n = 0;
}

void
lspawn_results_fini(struct lspawn_results *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		mem_free(&rs->r[i].addr);
		mem_free(&rs->r[i].line);
	}
	mem_free(&rs->r);
	rs->n = 0;
}

const char *
lspawn_status_name(enum lspawn_status s)
{
	switch (s) {
	case LSPAWN_OK:
		return "ok";
	case LSPAWN_DEFER:
		return "defer";
	case LSPAWN_BOUNCE:
		return "bounce";
	}
	return "?";
}

/* "X.Y.Z" with X the class digit, Y 1..3 digits, Z 1..3 digits. */
static size_t
dsn_len(const char *p, size_t n, char cls)
{
	size_t i = 0, d, part;

	if (n < 5 || p[0] != cls || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (d = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			d++;
		if (d == 0 || d > 3)
			return 0;
		if (part == 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

int
lspawn_result_parse(const char *p, size_t n, enum lspawn_status *st_r,
    size_t *off_r, const char **why_r)
{
	size_t d;

	if (n == 0 || n > LSPAWN_TEXT_MAX || !is_text(p, n))
		return proto_err(why_r, "bad result line");
	if (n > 3 && memcmp(p, "ok ", 3) == 0) {
		if (!is_name(p + 3, n - 3))
			return proto_err(why_r, "bad file name in result");
		*st_r = LSPAWN_OK;
		*off_r = 3;
		return 0;
	}
	if (n > 6 && memcmp(p, "defer ", 6) == 0) {
		*st_r = LSPAWN_DEFER;
		*off_r = 6;
		d = dsn_len(p + 6, n - 6, '4');
	} else if (n > 7 && memcmp(p, "bounce ", 7) == 0) {
		*st_r = LSPAWN_BOUNCE;
		*off_r = 7;
		d = dsn_len(p + 7, n - 7, '5');
	} else
		return proto_err(why_r, "unknown result status");
	if (d == 0 || (*off_r + d != n && p[*off_r + d] != ' '))
		return proto_err(why_r, "bad status code in result");
	return 0;
}

int
lspawn_results_add(struct lspawn_results *rs, const char *addr,
    const char *line, size_t linelen)
{
	struct lspawn_result *nr, *x;
	enum lspawn_status st;
	const char *why;
	size_t off;

	if (!is_addr(addr, strlen(addr), 0) ||
	    lspawn_result_parse(line, linelen, &st, &off, &why) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (rs->n >= LSPAWN_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((nr = mem_realloc(rs->r, rs->n + 1, sizeof(*nr))) == NULL)
		return -1;
	rs->r = nr;
	x = &nr[rs->n];
	memset(x, 0, sizeof(*x));
	if ((x->addr = mem_strdup(addr)) == NULL)
		return -1;
	if ((x->line = mem_strndup(line, linelen)) == NULL) {
		mem_free(&x->addr);
		return -1;
	}
	x->status = st;
	x->text = x->line + off;
	rs->n++;
	return 0;
}

int
lspawn_results_encode(const struct lspawn_results *rs, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (put_s(out, LSPAWN_T_RCPT, rs->r[i].addr) == -1 ||
		    put_s(out, LSPAWN_T_RESULT, rs->r[i].line) == -1)
			return -1;
	}
	return put_rec(out, LSPAWN_T_END, NULL, 0);
}

int
lspawn_results_decode(const void *buf, size_t len, struct lspawn_results *rs,
    const char **why_r)
{
	struct cur c = { .p = buf, .n = len };
	char addr[LSPAWN_ADDR_MAX + 1];
	int have_addr = 0;

	lspawn_results_fini(rs);
	for (;;) {
		if (next_rec(&c, why_r) == -1)
			goto fail;
		if (c.type == LSPAWN_T_END) {
			if (c.vlen != 0 || have_addr) {
				proto_err(why_r, c.vlen ? "END record with data" :
				    "recipient without result");
				goto fail;
			}
			break;
		}
		if (c.type == LSPAWN_T_RCPT && !have_addr) {
			if (!is_addr(c.v, c.vlen, 0)) {
				proto_err(why_r, "bad recipient");
				goto fail;
			}
			memcpy(addr, c.v, c.vlen);
			addr[c.vlen] = '\0';
			have_addr = 1;
		} else if (c.type == LSPAWN_T_RESULT && have_addr) {
			if (lspawn_results_add(rs, addr, c.v, c.vlen) == -1) {
				if (errno == ENOMEM)
					*why_r = "out of memory";
				else
					proto_err(why_r, "bad result");
				goto fail;
			}
			have_addr = 0;
		} else {
			proto_err(why_r, "unexpected record");
			goto fail;
		}
	}
	if (c.n != 0) {
		proto_err(why_r, "data after END");
		goto fail;
	}
	return 0;
fail:
	lspawn_results_fini(rs);
	return -1;
}

int
lspawn_read_records(int fd, struct sbuf *out, size_t max, int64_t deadline)
{
	return records_read(fd, out, max, LSPAWN_T_END, deadline);
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		(void)io_close(&fd);
		return -1;
	}
	return fd;
}

static int
check_order(const struct lspawn_req *req, const struct lspawn_results *rs)
{
	size_t i;

	if (rs->n != req->nrcpt) {
		errno = EPROTO;
		return -1;
	}
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].addr, req->rcpt[i].addr) != 0) {
			errno = EPROTO;
			return -1;
		}
	return 0;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		/* MSG_NOSIGNAL: a launcher that went away is an error
		 * return here, never a SIGPIPE in tern-qmgr. */
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
lspawn_send(const char *sockpath, const struct lspawn_req *req)
{
	struct sbuf buf;
	int fd = -1, e;

	sbuf_init(&buf, LSPAWN_MSG_MAX);
	if (lspawn_req_encode(req, &buf) == -1)
		goto fail;
	if ((fd = connect_unix(sockpath)) == -1)
		goto fail;
	if (send_all(fd, buf.s, buf.len) == -1)
		goto fail;
	sbuf_fini(&buf);
	return fd;
fail:
	e = errno;
	if (fd != -1)
		(void)io_close(&fd);
	sbuf_fini(&buf);
	errno = e;
	return -1;
}

int
lspawn_recv(int fd, const struct lspawn_req *req, struct lspawn_results *rs,
    int64_t deadline)
{
	struct sbuf buf;
	const char *why;
	int rc = -1, e;

	sbuf_init(&buf, LSPAWN_MSG_MAX);
	lspawn_results_fini(rs);
	if (lspawn_read_records(fd, &buf, LSPAWN_MSG_MAX, deadline) == -1)
		goto out;
	if (lspawn_results_decode(buf.s, buf.len, rs, &why) == -1)
		goto out;
	if (check_order(req, rs) == -1) {
		lspawn_results_fini(rs);
		goto out;
	}
	rc = 0;
out:
	e = errno;
	sbuf_fini(&buf);
	errno = e;
	return rc;
}

int
lspawn_deliver(const char *sockpath, const struct lspawn_req *req,
    struct lspawn_results *rs)
{
	int64_t deadline = io_deadline_ms(LSPAWN_CLIENT_TIMEOUT_MS);
	int fd, rc, e;

	lspawn_results_fini(rs);
	if ((fd = lspawn_send(sockpath, req)) == -1)
		return -1;
	rc = lspawn_recv(fd, req, rs, deadline);
	e = errno;
	(void)io_close(&fd);	/* read side only: nothing to lose */
	errno = e;
	return rc;
}

int
lspawn_deliver_kept(int *fdp, const char *sockpath,
    const struct lspawn_req *req, struct lspawn_results *rs)
{
	int64_t deadline = io_deadline_ms(LSPAWN_CLIENT_TIMEOUT_MS);
	struct sbuf req_buf, buf;
	const char *why;
	int fresh, e, rc = -1, try;

	lspawn_results_fini(rs);
	sbuf_init(&req_buf, LSPAWN_MSG_MAX);
	sbuf_init(&buf, LSPAWN_MSG_MAX);
	if (lspawn_req_encode(req, &req_buf) == -1)
		goto out;
	for (try = 0; try < 2; try++) {
		fresh = *fdp == -1;
		if (fresh && (*fdp = connect_unix(sockpath)) == -1)
			goto out;
		if (send_all(*fdp, req_buf.s, req_buf.len) == 0 &&
		    lspawn_read_records(*fdp, &buf, LSPAWN_MSG_MAX,
		    deadline) == 0) {
			if (lspawn_results_decode(buf.s, buf.len, rs,
			    &why) == -1 || check_order(req, rs) == -1) {
				lspawn_results_fini(rs);
				errno = EPROTO;
				break;
			}
			rc = 0;
			goto out;
		}
		e = errno;
		(void)io_close(fdp);
		errno = e;
		/* A kept connection the launcher closed while it was idle:
		 * nothing of the request was taken; once more, afresh. */
		if (fresh || buf.len > 0 || (errno != EPIPE &&
		    errno != ECONNRESET && errno != EPROTO))
			goto out;
	}
out:
	e = errno;
	if (rc == -1 && *fdp != -1)
		(void)io_close(fdp);
	sbuf_fini(&req_buf);
	sbuf_fini(&buf);
	errno = e;
	return rc;
}
