/*
 * maps.c - map source parsers, cdb records and the hashed Maildir path;
 * see maps.h.  The compiler is in maps_compile.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#include "lib/maps.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#define NUM_MAX		24	/* digits of a number field, with a unit */

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext, less '/' (the address becomes a path component). */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-=?^_`{|}~", c));
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
slice_is(const struct maps_slice *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->n == n && memcmp(s->p, lit, n) == 0;
}

int
maps_domain_valid(const char *p, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > MAPS_DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!is_alnum(p[i]) && p[i] != '-')
			return 0;
		if (label == 0 && p[i] == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label == 0 || p[n - 1] == '-')
		return 0;
	return 1;
}

static int
local_valid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MAPS_LOCAL_MAX || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (p[i - 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)p[i]))
			return 0;
	}
	return 1;
}

int
maps_addr_valid(const char *p, size_t n)
{
	const char *at;

	if (n == 0 || n > MAPS_ADDR_MAX)
		return 0;
	if ((at = memrchr(p, '@', n)) == NULL)
		return 0;
	if (!local_valid(p, (size_t)(at - p)))
		return 0;
	if (!maps_domain_valid(at + 1, n - (size_t)(at - p) - 1))
		return 0;
	return 1;
}

int
maps_key(struct sbuf *out, const char *p, size_t n)
{
	size_t i;

	if (sbuf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		out->s[out->len + i] = (char)lower((unsigned char)p[i]);
	out->len += n;
	out->s[out->len] = '\0';
	return 0;
}

/*
 * Line scanning.  A cursor walks [p, end); fields are runs of non-blank
 * bytes.
 */
struct cur {
	const char	*p, *end;
};

/* 0: blank/comment line; 1: has content; -1: a control or NUL byte. */
static int
line_check(const char *line, size_t len, const char **why_r)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			if (c == '\r' && i == len - 1)
				continue;	/* CRLF files */
			*why_r = "control or NUL byte in line";
			return -1;
		}
		if (!seen && !is_blank(c)) {
			if (c == '#')
				return 0;
			seen = 1;
		}
	}
	if (len > MAPS_LINE_MAX) {
		*why_r = "line too long";
		return -1;
	}
	return seen;
}

static void
cur_init(struct cur *c, const char *line, size_t len)
{
	c->p = line;
	c->end = line + len;
	if (len > 0 && line[len - 1] == '\r')
		c->end--;
}

/* Next blank-separated field; 0 when none is left. */
static int
cur_field(struct cur *c, struct maps_slice *f)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (c->p == c->end)
		return 0;
	f->p = c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	f->n = (size_t)(c->p - f->p);
	return 1;
}

static int
host_valid(const char *p, size_t n)
{
	return maps_domain_valid(p, n);
}

static int
path_valid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MAPS_PATH_MAX || p[0] != '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] != '/')
			continue;
		/* No "." or ".." component. */
		if (i + 1 < n && p[i + 1] == '.' &&
		    (i + 2 == n || p[i + 2] == '/' ||
		    (p[i + 2] == '.' && (i + 3 == n || p[i + 3] == '/'))))
			return 0;
	}
	return 1;
}

/* A number field (with an optional size unit) into *r. */
static int
num_field(const struct maps_slice *v, int is_size, uint64_t *r)
{
	char tmp[NUM_MAX + 1];

	if (v->n == 0 || v->n > NUM_MAX)
		return -1;
	memcpy(tmp, v->p, v->n);
	tmp[v->n] = '\0';
	return is_size ? scan_size_s(tmp, r) : scan_u64_s(tmp, r);
}

static int
account_kv(struct maps_account *a, const struct maps_slice *k,
    const struct maps_slice *v, unsigned *seen, const char **why_r)
{
	static const char *const keys[] = { "uid", "home", "quota", "host",
	    "pass", "status" };
	uint64_t u;
	unsigned i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (slice_is(k, keys[i]))
			break;
	if (i == sizeof keys / sizeof keys[0]) {
		*why_r = "unknown key (uid, home, quota, host, pass, status)";
		return -1;
	}
	if (*seen & (1U << i)) {
		*why_r = "key given twice";
		return -1;
	}
	*seen |= 1U << i;
	if (v->n == 0) {
		*why_r = "empty value";
		return -1;
	}
	switch (i) {
	case 0:
		if (num_field(v, 0, &u) < 0 || u > UINT32_MAX - 1) {
			*why_r = "uid is not a number below 2^32-1";
			return -1;
		}
		a->uid = (uint32_t)u;
		break;
	case 1:
		if (!path_valid(v->p, v->n)) {
			*why_r = "home is not an absolute path without . or ..";
			return -1;
		}
		a->home = *v;
		break;
	case 2:
		if (num_field(v, 1, &a->quota) < 0) {
			*why_r = "quota is not a size (N, Nk, NM, NG, NT)";
			return -1;
		}
		break;
	case 3:
		if (!host_valid(v->p, v->n)) {
			*why_r = "host is not a host name";
			return -1;
		}
		a->host = *v;
		break;
	case 4:
		a->pass = *v;
		break;
	default:
		if (slice_is(v, "active"))
			a->status = MAPS_ACTIVE;
		else if (slice_is(v, "disabled"))
			a->status = MAPS_DISABLED;
		else if (slice_is(v, "moving"))
			a->status = MAPS_MOVING;
		else {
			*why_r = "status is not active, disabled or moving";
			return -1;
		}
		break;
	}
	return 0;
}

int
maps_parse_account(const char *line, size_t len, struct maps_account *a,
    const char **why_r)
{
	struct cur c;
	struct maps_slice f, k, v;
	const char *eq;
	unsigned seen = 0;
	int r;

	memset(a, 0, sizeof *a);
	if ((r = line_check(line, len, why_r)) <= 0)
		return r;
	cur_init(&c, line, len);
	(void)cur_field(&c, &a->addr);	/* line_check: there is one */
	if (!maps_addr_valid(a->addr.p, a->addr.n)) {
		*why_r = "not a valid address (local@domain)";
		return -1;
	}
	while (cur_field(&c, &f)) {
		if ((eq = memchr(f.p, '=', f.n)) == NULL) {
			*why_r = "field is not key=value";
			return -1;
		}
		k.p = f.p;
		k.n = (size_t)(eq - f.p);
		v.p = eq + 1;
		v.n = f.n - k.n - 1;
		if (account_kv(a, &k, &v, &seen, why_r) < 0)
			return -1;
	}
	if (!(seen & 1U)) {
		*why_r = "uid= is required";
		return -1;
	}
	if (a->host.n == 0) {
		a->host.p = "local";
		a->host.n = 5;
	}
	return 1;
}

/* "@domain" (catch-all) or an address. */
static int
alias_key_valid(const struct maps_slice *k)
{
	if (k->n > 1 && k->p[0] == '@')
		return maps_domain_valid(k->p + 1, k->n - 1);
	return maps_addr_valid(k->p, k->n);
}

int
maps_parse_alias(const char *line, size_t len, struct maps_slice *key_r,
    struct sbuf *targets_r, const char **why_r)
{
	struct cur c;
	const char *colon, *p, *end, *t;
	size_t tn, count = 0;
	int r;

	sbuf_reset(targets_r);
	if ((r = line_check(line, len, why_r)) <= 0)
		return r;
	cur_init(&c, line, len);
	while (is_blank(*c.p))
		c.p++;
	if ((colon = memchr(c.p, ':', (size_t)(c.end - c.p))) == NULL) {
		*why_r = "missing ':' after the address";
		return -1;
	}
	key_r->p = c.p;
	key_r->n = (size_t)(colon - c.p);
	if (!alias_key_valid(key_r)) {
		*why_r = "not a valid address or @domain before ':'";
		return -1;
	}
	p = colon + 1;
	end = c.end;
	while (p < end) {
		while (p < end && (is_blank(*p)))
			p++;
		t = p;
		while (p < end && *p != ',' && !is_blank(*p))
			p++;
		tn = (size_t)(p - t);
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p != ',') {
			*why_r = "targets must be separated by ','";
			return -1;
		}
		if (tn == 0) {
			*why_r = "empty target";
			return -1;
		}
		if (!maps_addr_valid(t, tn)) {
			*why_r = "target is not a valid address";
			return -1;
		}
		if ((count++ > 0 && sbuf_cat_c(targets_r, ',') < 0) ||
		    sbuf_cat_n(targets_r, t, tn) < 0) {
			*why_r = "too many targets";
			return -1;
		}
		if (p < end)
			p++;	/* the ',' */
		if (p == end && p[-1] == ',') {
			*why_r = "empty target";
			return -1;
		}
	}
	if (count == 0) {
		*why_r = "no target after ':'";
		return -1;
	}
	return 1;
}

int
maps_parse_domain(const char *line, size_t len, struct maps_slice *domain_r,
    enum maps_domain_kind *kind_r, const char **why_r)
{
	struct cur c;
	struct maps_slice k, extra;
	int r;

	if ((r = line_check(line, len, why_r)) <= 0)
		return r;
	cur_init(&c, line, len);
	(void)cur_field(&c, domain_r);
	if (!maps_domain_valid(domain_r->p, domain_r->n)) {
		*why_r = "not a valid domain";
		return -1;
	}
	if (!cur_field(&c, &k)) {
		*why_r = "missing kind (local, virtual or relay)";
		return -1;
	}
	if (slice_is(&k, "local"))
		*kind_r = MAPS_DOMAIN_LOCAL;
	else if (slice_is(&k, "virtual"))
		*kind_r = MAPS_DOMAIN_VIRTUAL;
	else if (slice_is(&k, "relay"))
		*kind_r = MAPS_DOMAIN_RELAY;
	else {
		*why_r = "kind is not local, virtual or relay";
		return -1;
	}
	if (cur_field(&c, &extra)) {
		*why_r = "unexpected field after the kind";
		return -1;
	}
	return 1;
}

/* The bytes of an IPv6 literal ("::1", "2001:db8::25"): a loose check. */
static int
ipv6_valid(const char *p, size_t n)
{
	size_t i;

	if (n < 2 || n > 45 || memchr(p, ':', n) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (lower((unsigned char)p[i]) >= 'a' &&
		    lower((unsigned char)p[i]) <= 'f') || p[i] == ':' ||
		    p[i] == '.'))
			return 0;
	return 1;
}

static int
port_parse(const char *p, size_t n, uint16_t *r)
{
	uint64_t u;

	if (n == 0 || n > 5 || scan_u64_n(p, n, &u) < 0 || u == 0 ||
	    u > 65535)
		return -1;
	*r = (uint16_t)u;
	return 0;
}

int
maps_nexthop_parse(const char *p, size_t n, struct maps_nexthop *h,
    const char **why_r)
{
	const char *rest, *end = p + n, *hend, *colon;

	memset(h, 0, sizeof *h);
	if (n == 5 && memcmp(p, "local", 5) == 0) {
		h->kind = MAPS_HOP_LOCAL;
		return 0;
	}
	if (n > 5 && memcmp(p, "smtp:", 5) == 0)
		h->kind = MAPS_HOP_SMTP;
	else if (n > 5 && memcmp(p, "lmtp:", 5) == 0)
		h->kind = MAPS_HOP_LMTP;
	else {
		*why_r = "next hop is not local, smtp:... or lmtp:...";
		return -1;
	}
	rest = p + 5;
	if (*rest == '[') {
		if ((hend = memchr(rest, ']', (size_t)(end - rest))) == NULL) {
			*why_r = "missing ']' in next hop";
			return -1;
		}
		h->is_literal = 1;
		h->host.p = rest + 1;
		h->host.n = (size_t)(hend - rest - 1);
		colon = hend + 1;
		if (colon < end && *colon != ':') {
			*why_r = "junk after ']' in next hop";
			return -1;
		}
	} else {
		colon = memchr(rest, ':', (size_t)(end - rest));
		h->host.p = rest;
		h->host.n = (size_t)((colon ? colon : end) - rest);
	}
	if (!(host_valid(h->host.p, h->host.n) || (h->is_literal &&
	    ipv6_valid(h->host.p, h->host.n)))) {
		*why_r = "next hop host is not a host name";
		return -1;
	}
	if (colon != NULL && colon < end &&
	    port_parse(colon + 1, (size_t)(end - colon - 1), &h->port) < 0) {
		*why_r = "next hop port is not 1..65535";
		return -1;
	}
	if (h->kind == MAPS_HOP_LMTP && h->port == 0) {
		*why_r = "lmtp next hop needs a port (lmtp:host:port)";
		return -1;
	}
	return 0;
}

int
maps_parse_route(const char *line, size_t len, struct maps_slice *key_r,
    struct maps_nexthop *hop_r, struct maps_slice *hop_text_r,
    const char **why_r)
{
	struct cur c;
	struct maps_slice extra;
	int r;

	if ((r = line_check(line, len, why_r)) <= 0)
		return r;
	cur_init(&c, line, len);
	(void)cur_field(&c, key_r);
	if (!(memchr(key_r->p, '@', key_r->n) ?
	    maps_addr_valid(key_r->p, key_r->n) :
	    maps_domain_valid(key_r->p, key_r->n))) {
		*why_r = "not a valid domain or address";
		return -1;
	}
	if (!cur_field(&c, hop_text_r)) {
		*why_r = "missing next hop";
		return -1;
	}
	if (maps_nexthop_parse(hop_text_r->p, hop_text_r->n, hop_r, why_r) < 0)
		return -1;
	if (cur_field(&c, &extra)) {
		*why_r = "unexpected field after the next hop";
		return -1;
	}
	return 1;
}

const char *
maps_domain_kind_name(enum maps_domain_kind k)
{
	switch (k) {
	case MAPS_DOMAIN_LOCAL:
		return "local";
	case MAPS_DOMAIN_VIRTUAL:
		return "virtual";
	case MAPS_DOMAIN_RELAY:
		return "relay";
	}
	return "?";
}

const char *
maps_status_name(enum maps_status s)
{
	switch (s) {
	case MAPS_ACTIVE:
		return "active";
	case MAPS_DISABLED:
		return "disabled";
	case MAPS_MOVING:
		return "moving";
	}
	return "?";
}

int
maps_tier_parse(const char *s, enum maps_tier *r)
{
	static const char *const names[] = { "all", "mx", "storage", "front",
	    "submission" };
	static const enum maps_tier tiers[] = { MAPS_TIER_ALL, MAPS_TIER_MX,
	    MAPS_TIER_STORAGE, MAPS_TIER_FRONT, MAPS_TIER_SUBMISSION };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*r = tiers[i];
			return 0;
		}
	errno = EINVAL;
	return -1;
}

int
maps_account_encode(struct sbuf *out, uint32_t uid, uint64_t quota,
    enum maps_status status, const char *host, size_t hostlen,
    const char *home, size_t homelen)
{
	sbuf_reset(out);
	if (sbuf_printf(out, "uid=%lu quota=%llu status=%s host=",
	    (unsigned long)uid, (unsigned long long)quota,
	    maps_status_name(status)) < 0 ||
	    sbuf_cat_n(out, host, hostlen) < 0 ||
	    sbuf_cat_s(out, " home=") < 0 ||
	    sbuf_cat_n(out, home, homelen) < 0)
		return -1;
	return 0;
}

/* "name=" then a value up to the next ' ' (or the end when is_last). */
static int
dec_field(struct cur *c, const char *name, int is_last, struct maps_slice *v)
{
	size_t n = strlen(name);
	const char *sp;

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, name, n) != 0)
		return -1;
	c->p += n;
	if (is_last) {
		v->p = c->p;
		v->n = (size_t)(c->end - c->p);
		c->p = c->end;
	} else {
		if ((sp = memchr(c->p, ' ', (size_t)(c->end - c->p))) == NULL)
			return -1;
		v->p = c->p;
		v->n = (size_t)(sp - c->p);
		c->p = sp + 1;
	}
	return v->n == 0 ? -1 : 0;
}

int
maps_account_decode(const void *val, size_t vlen, struct maps_record *r,
    const char **why_r)
{
	struct cur c;
	struct maps_slice uid, quota, status;
	uint64_t u;

	memset(r, 0, sizeof *r);
	c.p = val;
	c.end = c.p + vlen;
	if (vlen > MAPS_RECORD_MAX ||
	    dec_field(&c, "uid=", 0, &uid) < 0 ||
	    dec_field(&c, "quota=", 0, &quota) < 0 ||
	    dec_field(&c, "status=", 0, &status) < 0 ||
	    dec_field(&c, "host=", 0, &r->host) < 0 ||
	    dec_field(&c, "home=", 1, &r->home) < 0)
		goto bad;
	if (num_field(&uid, 0, &u) < 0 || u > UINT32_MAX - 1)
		goto bad;
	r->uid = (uint32_t)u;
	if (num_field(&quota, 0, &r->quota) < 0)
		goto bad;
	if (slice_is(&status, "active"))
		r->status = MAPS_ACTIVE;
	else if (slice_is(&status, "disabled"))
		r->status = MAPS_DISABLED;
	else if (slice_is(&status, "moving"))
		r->status = MAPS_MOVING;
	else
		goto bad;
	if (!host_valid(r->host.p, r->host.n) ||
	    !path_valid(r->home.p, r->home.n))
		goto bad;
	return 0;
bad:
	*why_r = "malformed accounts record";
	errno = EPROTO;
	return -1;
}

int
maps_maildir_path(struct sbuf *out, const char *mail_dir, const char *addr,
    size_t addrlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct sbuf key;
	size_t dl = strlen(mail_dir);
	char xy[7];
	int r = -1;

	if (!maps_addr_valid(addr, addrlen) || dl == 0) {
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&key, MAPS_ADDR_MAX);
	if (maps_key(&key, addr, addrlen) < 0)
		goto out;
	SHA256((const unsigned char *)key.s, key.len, md);
	xy[0] = hex[md[0] >> 4];
	xy[1] = hex[md[0] & 15];
	xy[2] = '/';
	xy[3] = hex[md[1] >> 4];
	xy[4] = hex[md[1] & 15];
	xy[5] = '/';
	while (dl > 1 && mail_dir[dl - 1] == '/')
		dl--;
	if (sbuf_cat_n(out, mail_dir, dl) < 0 ||
	    (mail_dir[dl - 1] != '/' && sbuf_cat_c(out, '/') < 0) ||
	    sbuf_cat_n(out, xy, 6) < 0 ||
	    sbuf_cat_sbuf(out, &key) < 0 || sbuf_cat_c(out, '/') < 0)
		goto out;
	r = 0;
out:
	sbuf_fini(&key);
	return r;
}
