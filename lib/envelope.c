/* envelope.c - queue envelope records; see envelope.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/qid.h"
#include "lib/sock.h"
#include "lib/sbuf.h"

/* Field checks shared by the reader and the encoder: 1 when valid. */

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

/* Printable ASCII without space (ORCPT, the client's IP). */
static int
is_print(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* Printable ASCII and space: a decoded ENVID (RFC 3461 4.4). */
static int
is_envid(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

int
envelope_envid_ok(const void *p, size_t n)
{
	return n <= ENV_ENVID_MAX && is_envid(p, n);
}

int
envelope_orcpt_ok(const void *p, size_t n)
{
	return n <= ENV_ORCPT_MAX && is_print(p, n);
}

static int
is_ip(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 1;
	return n <= ENV_IP_MAX && is_print(p, n) && sock_ip_text_valid(p, n);
}

static int
is_mailbox(const unsigned char *p, size_t n, unsigned eflags, int is_rcpt)
{
	struct addr a;
	const char *why;
	int f = 0;

	if (n == 0)
		return !is_rcpt;	/* the null sender */
	if (n > ENV_ADDR_MAX || !is_text(p, n))
		return 0;
	if (eflags & ENV_F_SMTPUTF8)
		f |= ADDR_UTF8;
	if (is_rcpt)
		f |= ADDR_POSTMASTER_OK;
	return addr_parse((const char *)p, n, f, &a, &why) == ADDR_OK;
}

int
envelope_notify_ok(unsigned v)
{
	if (v & ~ENV_N_ALL)
		return 0;
	return !((v & ENV_N_NEVER) && (v & ~ENV_N_NEVER));
}

/* Records. */

int
envelope_rec_put(struct sbuf *out, int type, const void *val, size_t len)
{
	unsigned char h[ENV_REC_HDR];

	if (type < 0 || type > 255 || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(len >> 24);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
	if (sbuf_reserve(out, ENV_REC_HDR + len) < 0 ||
	    sbuf_cat_n(out, h, sizeof(h)) < 0)
		return -1;
	return len == 0 ? 0 : sbuf_cat_n(out, val, len);
}

int
envelope_rec_get(struct envelope_cursor *c, int *type_r,
    const unsigned char **val_r, size_t *len_r)
{
	size_t len;

	if (c->left < ENV_REC_HDR)
		return -1;
	len = ((size_t)c->p[1] << 24) | ((size_t)c->p[2] << 16) |
	    ((size_t)c->p[3] << 8) | (size_t)c->p[4];
	if (len > c->left - ENV_REC_HDR)
		return -1;
	*type_r = c->p[0];
	*val_r = c->p + ENV_REC_HDR;
	*len_r = len;
	c->p += ENV_REC_HDR + len;
	c->left -= ENV_REC_HDR + len;
	return 0;
}

/* Struct. */

void
envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->rcpt = NULL;
}

void
envelope_fini(struct envelope *e)
{
	mem_free(&e->rcpt);
	envelope_init(e);
}

static void
envelope_reset(struct envelope *e)
{
	struct envelope_rcpt *r = e->rcpt;
	size_t cap = e->rcpt_cap;

	memset(e, 0, sizeof(*e));
	e->rcpt = r;
	e->rcpt_cap = cap;
}

static int
copy_str(char *dst, size_t dstsize, const void *src, size_t n)
{
	if (n >= dstsize) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* Room for one more recipient; the new slot is zeroed. */
static struct envelope_rcpt *
rcpt_slot(struct envelope *e)
{
	struct envelope_rcpt *r;
	size_t cap;

	if (e->nrcpt >= ENV_RCPT_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (e->nrcpt == e->rcpt_cap) {
		cap = e->rcpt_cap == 0 ? 4 : e->rcpt_cap * 2;
		if (cap > ENV_RCPT_MAX)
			cap = ENV_RCPT_MAX;
		r = mem_realloc(e->rcpt, cap, sizeof(*r));
		if (r == NULL)
			return NULL;
		e->rcpt = r;
		e->rcpt_cap = cap;
	}
	r = &e->rcpt[e->nrcpt];
	memset(r, 0, sizeof(*r));
	return r;
}

int
envelope_add_rcpt(struct envelope *e, const char *addr, const char *orcpt,
    unsigned notify, const char *orig)
{
	struct envelope_rcpt *r;

	if (addr == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((r = rcpt_slot(e)) == NULL)
		return -1;
	if (copy_str(r->addr, sizeof(r->addr), addr, strlen(addr)) < 0 ||
	    copy_str(r->orcpt, sizeof(r->orcpt), orcpt ? orcpt : "",
	    orcpt ? strlen(orcpt) : 0) < 0 ||
	    copy_str(r->orig, sizeof(r->orig), orig ? orig : "",
	    orig ? strlen(orig) : 0) < 0)
		return -1;
	r->notify = notify;
	e->nrcpt++;
	return 0;
}

/* Reader. */

struct rd {
	struct envelope_cursor	 c;
	const unsigned char	*v;
	size_t			 n;
	const char		*why;
};

/* The next record must be of this type with a length in [min, max]. */
static int
expect(struct rd *rd, int type, size_t min, size_t max)
{
	int t;

	if (envelope_rec_get(&rd->c, &t, &rd->v, &rd->n) < 0) {
		rd->why = "envelope truncated";
		return ENV_ETRUNC;
	}
	if (t != type) {
		rd->why = "unknown or out-of-order envelope record";
		return ENV_ETYPE;
	}
	if (rd->n < min || rd->n > max) {
		rd->why = "envelope record of the wrong size";
		return ENV_ELEN;
	}
	return ENV_OK;
}

static int
bad(struct rd *rd, const char *why)
{
	rd->why = why;
	return ENV_EVALUE;
}

static int
read_ids(struct rd *rd, int flags, struct envelope *e)
{
	uint64_t t = 0;
	size_t i;
	int r;

	if ((r = expect(rd, ENV_REC_VERSION, 1, 1)) != ENV_OK)
		return r;
	if (rd->v[0] != ENV_VERSION)
		return bad(rd, "unknown envelope version");
	if ((r = expect(rd, ENV_REC_QID, 0, QID_LEN)) != ENV_OK)
		return r;
	if (rd->n != 0 && !qid_valid((const char *)rd->v, rd->n))
		return bad(rd, "bad queue id in envelope");
	(void)copy_str(e->qid, sizeof(e->qid), rd->v, rd->n);	/* fits */
	if ((r = expect(rd, ENV_REC_TIME, 8, 8)) != ENV_OK)
		return r;
	for (i = 0; i < 8; i++)
		t = (t << 8) | rd->v[i];
	e->arrival = t;
	if ((flags & ENV_R_QUEUED) && (e->qid[0] == '\0' || t == 0))
		return bad(rd, "queued envelope without queue id or time");
	return ENV_OK;
}

static int
read_esmtp(struct rd *rd, struct envelope *e)
{
	int r;

	if ((r = expect(rd, ENV_REC_BODY, 1, 1)) != ENV_OK)
		return r;
	if (rd->v[0] > ENV_BODY_BINARYMIME)
		return bad(rd, "unknown body type");
	e->body = (enum env_body)rd->v[0];
	if ((r = expect(rd, ENV_REC_FLAGS, 1, 1)) != ENV_OK)
		return r;
	if (rd->v[0] & ~ENV_F_ALL)
		return bad(rd, "unknown envelope flag");
	e->flags = rd->v[0];
	if ((r = expect(rd, ENV_REC_ENVID, 0, ENV_ENVID_MAX)) != ENV_OK)
		return r;
	if (!is_envid(rd->v, rd->n))
		return bad(rd, "bad ENVID");
	(void)copy_str(e->envid, sizeof(e->envid), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_RET, 1, 1)) != ENV_OK)
		return r;
	if (rd->v[0] > ENV_RET_HDRS)
		return bad(rd, "unknown RET value");
	e->ret = (enum env_ret)rd->v[0];
	return ENV_OK;
}

static int
read_client(struct rd *rd, struct envelope *e)
{
	int r;

	if ((r = expect(rd, ENV_REC_SENDER, 0, ENV_ADDR_MAX)) != ENV_OK)
		return r;
	if (!is_mailbox(rd->v, rd->n, e->flags, 0))
		return bad(rd, "bad sender address");
	(void)copy_str(e->sender, sizeof(e->sender), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_IP, 0, ENV_IP_MAX)) != ENV_OK)
		return r;
	if (!is_ip(rd->v, rd->n))
		return bad(rd, "bad client address");
	(void)copy_str(e->client_ip, sizeof(e->client_ip), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_HELO, 0, ENV_HELO_MAX)) != ENV_OK)
		return r;
	if (!is_text(rd->v, rd->n))
		return bad(rd, "control byte in HELO");
	(void)copy_str(e->helo, sizeof(e->helo), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_AUTH, 0, ENV_AUTH_MAX)) != ENV_OK)
		return r;
	if (!is_text(rd->v, rd->n))
		return bad(rd, "control byte in AUTH user");
	(void)copy_str(e->auth_user, sizeof(e->auth_user), rd->v, rd->n);
	return ENV_OK;
}

/* The rest of a recipient group, after its 'R' record (in rd->v). */
static int
read_rcpt(struct rd *rd, struct envelope *e)
{
	struct envelope_rcpt *rc;
	int r;

	if (rd->n < 1 || rd->n > ENV_ADDR_MAX) {
		rd->why = "envelope record of the wrong size";
		return ENV_ELEN;
	}
	if (!is_mailbox(rd->v, rd->n, e->flags, 1))
		return bad(rd, "bad recipient address");
	if ((rc = rcpt_slot(e)) == NULL) {
		rd->why = errno == E2BIG ? "too many recipients" :
		    "out of memory";
		return errno == E2BIG ? ENV_EBIG : ENV_ENOMEM;
	}
	(void)copy_str(rc->addr, sizeof(rc->addr), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_ORCPT, 0, ENV_ORCPT_MAX)) != ENV_OK)
		return r;
	if (!is_print(rd->v, rd->n))
		return bad(rd, "bad ORCPT");
	(void)copy_str(rc->orcpt, sizeof(rc->orcpt), rd->v, rd->n);
	if ((r = expect(rd, ENV_REC_NOTIFY, 1, 1)) != ENV_OK)
		return r;
	if (!envelope_notify_ok(rd->v[0]))
		return bad(rd, "bad NOTIFY flags");
	rc->notify = rd->v[0];
	if ((r = expect(rd, ENV_REC_ORIG, 0, ENV_ADDR_MAX)) != ENV_OK)
		return r;
	if (!is_text(rd->v, rd->n))
		return bad(rd, "control byte in original address");
	(void)copy_str(rc->orig, sizeof(rc->orig), rd->v, rd->n);
	e->nrcpt++;
	return ENV_OK;
}

static int
read_rcpts(struct rd *rd, struct envelope *e)
{
	int r, t;

	for (;;) {
		if (envelope_rec_get(&rd->c, &t, &rd->v, &rd->n) < 0) {
			rd->why = "envelope truncated";
			return ENV_ETRUNC;
		}
		if (t == ENV_REC_END)
			break;
		if (t != ENV_REC_RCPT) {
			rd->why = "unknown or out-of-order envelope record";
			return ENV_ETYPE;
		}
		if ((r = read_rcpt(rd, e)) != ENV_OK)
			return r;
	}
	if (rd->n != 0) {
		rd->why = "envelope record of the wrong size";
		return ENV_ELEN;
	}
	if (rd->c.left != 0) {
		rd->why = "bytes after the envelope's END";
		return ENV_ETRAIL;
	}
	if (e->nrcpt == 0)
		return bad(rd, "envelope without recipients");
	return ENV_OK;
}

int
envelope_read(const void *buf, size_t len, int flags, struct envelope *e,
    const char **why_r)
{
	struct rd rd;
	int r;

	envelope_reset(e);
	rd.c.p = buf;
	rd.c.left = len;
	rd.why = "envelope error";
	if (len > ENV_FILE_MAX) {
		*why_r = "envelope too large";
		return ENV_EBIG;
	}
	if ((r = read_ids(&rd, flags, e)) == ENV_OK &&
	    (r = read_esmtp(&rd, e)) == ENV_OK &&
	    (r = read_client(&rd, e)) == ENV_OK &&
	    (r = read_rcpts(&rd, e)) == ENV_OK)
		return ENV_OK;
	*why_r = rd.why;
	return r;
}

/* Encoder. */

static int
put_s(struct sbuf *out, int type, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		errno = EINVAL;
		return -1;
	}
	return envelope_rec_put(out, type, s, n);
}

static int
put_byte(struct sbuf *out, int type, unsigned v)
{
	unsigned char b = (unsigned char)v;

	return envelope_rec_put(out, type, &b, 1);
}

#define US(s)	((const unsigned char *)(s))

static int
check_head(const struct envelope *e)
{
	if (e->qid[0] != '\0' && !qid_valid(e->qid, strnlen(e->qid, QID_LEN + 1)))
		return -1;
	if ((unsigned)e->body > ENV_BODY_BINARYMIME || (e->flags & ~ENV_F_ALL) ||
	    (unsigned)e->ret > ENV_RET_HDRS)
		return -1;
	if (!is_envid(US(e->envid), strnlen(e->envid, sizeof(e->envid))) ||
	    !is_mailbox(US(e->sender), strnlen(e->sender, sizeof(e->sender)),
	    e->flags, 0) ||
	    !is_ip(US(e->client_ip), strnlen(e->client_ip,
	    sizeof(e->client_ip))) ||
	    !is_text(US(e->helo), strnlen(e->helo, sizeof(e->helo))) ||
	    !is_text(US(e->auth_user), strnlen(e->auth_user,
	    sizeof(e->auth_user))))
		return -1;
	if (e->nrcpt == 0 || e->nrcpt > ENV_RCPT_MAX)
		return -1;
	return 0;
}

static int
check_rcpt(const struct envelope *e, const struct envelope_rcpt *r)
{
	if (!is_mailbox(US(r->addr), strnlen(r->addr, sizeof(r->addr)),
	    e->flags, 1) ||
	    !is_print(US(r->orcpt), strnlen(r->orcpt, sizeof(r->orcpt))) ||
	    !envelope_notify_ok(r->notify) ||
	    !is_text(US(r->orig), strnlen(r->orig, sizeof(r->orig))))
		return -1;
	return 0;
}

static int
encode_head(const struct envelope *e, struct sbuf *out)
{
	unsigned char t[8];
	uint64_t v = e->arrival;
	int i;

	for (i = 7; i >= 0; i--) {
		t[i] = (unsigned char)v;
		v >>= 8;
	}
	if (put_byte(out, ENV_REC_VERSION, ENV_VERSION) < 0 ||
	    put_s(out, ENV_REC_QID, e->qid, QID_LEN) < 0 ||
	    envelope_rec_put(out, ENV_REC_TIME, t, sizeof(t)) < 0 ||
	    put_byte(out, ENV_REC_BODY, e->body) < 0 ||
	    put_byte(out, ENV_REC_FLAGS, e->flags) < 0 ||
	    put_s(out, ENV_REC_ENVID, e->envid, ENV_ENVID_MAX) < 0 ||
	    put_byte(out, ENV_REC_RET, e->ret) < 0 ||
	    put_s(out, ENV_REC_SENDER, e->sender, ENV_ADDR_MAX) < 0 ||
	    put_s(out, ENV_REC_IP, e->client_ip, ENV_IP_MAX) < 0 ||
	    put_s(out, ENV_REC_HELO, e->helo, ENV_HELO_MAX) < 0 ||
	    put_s(out, ENV_REC_AUTH, e->auth_user, ENV_AUTH_MAX) < 0)
		return -1;
	return 0;
}

int
envelope_encode(const struct envelope *e, struct sbuf *out)
{
	const struct envelope_rcpt *r;
	size_t i;

	sbuf_reset(out);
	if (check_head(e) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (encode_head(e, out) < 0)
		return -1;
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		if (check_rcpt(e, r) < 0) {
			errno = EINVAL;
			return -1;
		}
		if (put_s(out, ENV_REC_RCPT, r->addr, ENV_ADDR_MAX) < 0 ||
		    put_s(out, ENV_REC_ORCPT, r->orcpt, ENV_ORCPT_MAX) < 0 ||
		    put_byte(out, ENV_REC_NOTIFY, r->notify) < 0 ||
		    put_s(out, ENV_REC_ORIG, r->orig, ENV_ADDR_MAX) < 0)
			return -1;
	}
	return envelope_rec_put(out, ENV_REC_END, NULL, 0);
}

int
envelope_write(int fd, const struct envelope *e)
{
	struct sbuf b;
	int r = -1, saved;

	sbuf_init(&b, ENV_FILE_MAX);
	if (envelope_encode(e, &b) == 0)
		r = io_write_full(fd, b.s, b.len);
	saved = errno;
	sbuf_fini(&b);
	errno = saved;
	return r;
}
