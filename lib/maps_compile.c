/*
 * maps_compile.c - compile the text maps into cdb files, all or nothing;
 * see maps.h.  One pass over each source, streamed through a bounded line
 * reader; duplicates are found with a compact hash set (keys packed in one
 * arena) and a sorted array of (uid, line) pairs.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/maps.h"
#include "lib/mem.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"

#define SRC_BUF		(64 * 1024)	/* read size; > MAPS_LINE_MAX */
#define KEYSET_MIN	1024		/* first table size (power of 2) */
#define SECRETS_GROUP	"ternauth"	/* tern-authd reads secrets.cdb */

/* --- bounded line reader ------------------------------------------------ */

struct src {
	char		*path;
	int		 fd;
	char		*buf;
	size_t		 start, end;
	int		 is_eof;
	unsigned long	 lineno;
};

/* 0 opened, 1 missing (an empty map), -1 error. */
static int
src_open(struct src *s, const char *dir, const char *name)
{
	struct sbuf p;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	sbuf_init(&p, MAPS_PATH_MAX * 2);
	if (sbuf_printf(&p, "%s/%s", dir, name) < 0 || sbuf_nul(&p) < 0) {
		sbuf_fini(&p);
		return -1;
	}
	s->path = p.s;
	if ((s->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : -1;
	if ((s->buf = mem_alloc(SRC_BUF, 1)) == NULL)
		return -1;
	return 0;
}

static void
src_close(struct src *s)
{
	if (s->fd >= 0)
		(void)close(s->fd);	/* read-only */
	s->fd = -1;
	free(s->buf);
	free(s->path);
	s->buf = s->path = NULL;
}

/*
 * Next line without its '\n': 1 (*toolong_r set when it was longer than
 * MAPS_LINE_MAX: the rest is skipped), 0 at the end, -1 on a read error.
 */
static int
src_line(struct src *s, const char **line_r, size_t *len_r, int *toolong_r)
{
	char *nl;
	ssize_t n;
	int skipping = 0;

	*toolong_r = 0;
	for (;;) {
		nl = memchr(s->buf + s->start, '\n', s->end - s->start);
		if (nl != NULL || (s->is_eof && s->start < s->end)) {
			*line_r = s->buf + s->start;
			*len_r = (nl ? (size_t)(nl - s->buf) : s->end) - s->start;
			s->start = nl ? (size_t)(nl - s->buf) + 1 : s->end;
			s->lineno++;
			if (skipping) {
				*toolong_r = 1;
				*len_r = 0;
			}
			return 1;
		}
		if (s->is_eof)
			return 0;
		if (s->end - s->start > MAPS_LINE_MAX) {
			skipping = 1;	/* drop what we have of it */
			s->start = s->end = 0;
		} else if (s->start > 0) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		do
			n = read(s->fd, s->buf + s->end, SRC_BUF - s->end);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (n == 0)
			s->is_eof = 1;
		s->end += (size_t)n;
	}
}

/* --- compact set of keys ------------------------------------------------ */

/* An entry in the arena: line (4 bytes), tag (1), length (2), key bytes. */
#define ENTRY_HDR	7

struct keyset {
	uint32_t	*slot;		/* arena offset + 1; 0 = empty */
	size_t		 mask;
	size_t		 count;
	unsigned char	*arena;
	size_t		 alen, acap;
};

static uint64_t
hash64(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static void
keyset_fini(struct keyset *k)
{
	free(k->slot);
	free(k->arena);
	memset(k, 0, sizeof *k);
}

static int
entry_is(const struct keyset *k, uint32_t off, const char *key, size_t n)
{
	const unsigned char *e = k->arena + off;
	size_t len = (size_t)e[5] | (size_t)e[6] << 8;

	return len == n && memcmp(e + ENTRY_HDR, key, n) == 0;
}

static uint32_t *
keyset_probe(const struct keyset *k, const char *key, size_t n)
{
	size_t i = (size_t)hash64(key, n) & k->mask;

	while (k->slot[i] != 0 && !entry_is(k, k->slot[i] - 1, key, n))
		i = (i + 1) & k->mask;
	return &k->slot[i];
}

static int
keyset_grow(struct keyset *k)
{
	struct keyset old = *k;
	size_t i, nslots = old.slot ? (old.mask + 1) * 2 : KEYSET_MIN;
	const unsigned char *e;

	if ((k->slot = mem_alloc(nslots, sizeof *k->slot)) == NULL) {
		k->slot = old.slot;
		return -1;
	}
	k->mask = nslots - 1;
	for (i = 0; old.slot && i <= old.mask; i++) {
		if (old.slot[i] == 0)
			continue;
		e = k->arena + old.slot[i] - 1;
		*keyset_probe(k, (const char *)e + ENTRY_HDR,
		    (size_t)e[5] | (size_t)e[6] << 8) = old.slot[i];
	}
	free(old.slot);
	return 0;
}

/*
 * Add key: 1 added; 0 already there (*line_r, *tag_r: the first one's);
 * -1 ENOMEM/E2BIG.
 */
static int
keyset_add(struct keyset *k, const char *key, size_t n, unsigned long line,
    int tag, unsigned long *line_r, int *tag_r)
{
	uint32_t *sl, l = (uint32_t)line;
	unsigned char *a;
	size_t need, ncap;

	if (n > 0xffff) {
		errno = E2BIG;
		return -1;
	}
	if ((k->slot == NULL || (k->count + 1) * 2 > k->mask + 1) &&
	    keyset_grow(k) < 0)
		return -1;
	sl = keyset_probe(k, key, n);
	if (*sl != 0) {
		a = k->arena + *sl - 1;
		*line_r = (unsigned long)a[0] | (unsigned long)a[1] << 8 |
		    (unsigned long)a[2] << 16 | (unsigned long)a[3] << 24;
		*tag_r = a[4];
		return 0;
	}
	need = k->alen + ENTRY_HDR + n;
	if (need >= UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (need > k->acap) {
		ncap = k->acap ? k->acap : 65536;
		while (ncap < need)
			ncap *= 2;
		if ((a = mem_realloc(k->arena, ncap, 1)) == NULL)
			return -1;
		k->arena = a;
		k->acap = ncap;
	}
	a = k->arena + k->alen;
	a[0] = l & 0xff;
	a[1] = (l >> 8) & 0xff;
	a[2] = (l >> 16) & 0xff;
	a[3] = (l >> 24) & 0xff;
	a[4] = (unsigned char)tag;
	a[5] = n & 0xff;
	a[6] = (n >> 8) & 0xff;
	memcpy(a + ENTRY_HDR, key, n);
	*sl = (uint32_t)k->alen + 1;
	k->alen = need;
	k->count++;
	return 1;
}

/* 1 and *tag_r if present, else 0. */
static int
keyset_find(const struct keyset *k, const char *key, size_t n, int *tag_r)
{
	uint32_t *sl;

	if (k->slot == NULL)
		return 0;
	sl = keyset_probe(k, key, n);
	if (*sl == 0)
		return 0;
	*tag_r = k->arena[*sl - 1 + 4];
	return 1;
}

/* --- outputs ------------------------------------------------------------ */

enum out_id { OUT_DOMAINS, OUT_ACCOUNTS, OUT_SECRETS, OUT_ALIASES,
	OUT_ROUTES, OUT_SENDERS, OUT_N };

static const char *const out_names[OUT_N] = { "domains", "accounts",
	"secrets", "aliases", "routes", "sender_login" };

/* The order the finished maps are renamed into place (see install). */
static const int install_order[OUT_N] = { OUT_ROUTES, OUT_DOMAINS,
	OUT_ALIASES, OUT_SENDERS, OUT_SECRETS, OUT_ACCOUNTS };

struct out {
	char		*tmp, *final;
	struct cdbmap_make *mk;
	int		 is_used;
	int		 is_renamed;
	size_t		 n;
};

struct ctx {
	const struct maps_compile_opts *o;
	struct sbuf	*errs;
	size_t		 nerr;
	struct out	 out[OUT_N];
	struct keyset	 keys;		/* every key of every map */
	struct sbuf	 key, val, hash, home, tmp;
	uint64_t	*uids;		/* uid << 32 | line */
	size_t		 nuids, capuids;
	int		 lockfd;
};

static void error_at(struct ctx *, const struct src *, unsigned long,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
error_at(struct ctx *c, const struct src *s, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;
	struct sbuf one;

	c->nerr++;
	sbuf_init(&one, MAPS_PATH_MAX + MAPS_LINE_MAX);
	(void)sbuf_printf(&one, "%s:%lu: ", s->path, line);
	va_start(ap, fmt);
	(void)sbuf_vprintf(&one, fmt, ap);
	va_end(ap);
	/* Whole lines only: past MAPS_ERRORS_MAX the text stops growing
	 * (the count goes on). */
	if (sbuf_cat_c(&one, '\n') == 0)
		(void)sbuf_cat_sbuf(c->errs, &one);
	sbuf_fini(&one);
}

static int
sys_error(struct ctx *c, const char *what, const char *path)
{
	int saved = errno;

	sbuf_reset(c->errs);
	(void)sbuf_printf(c->errs, "%s %s: %s\n", what, path,
	    strerror(saved));
	errno = saved;
	return MAPS_ESYS;
}

static int
out_path(char **r, const char *dir, const char *name, const char *suffix)
{
	struct sbuf p;

	sbuf_init(&p, MAPS_PATH_MAX * 2);
	if (sbuf_printf(&p, "%s/%s.cdb%s", dir, name, suffix) < 0 ||
	    sbuf_nul(&p) < 0) {
		sbuf_fini(&p);
		return -1;
	}
	*r = p.s;
	return 0;
}

/* One compiler at a time per output folder: they share the temp names. */
static int
lock_out(struct ctx *c)
{
	struct sbuf p;
	int r = 0;

	sbuf_init(&p, MAPS_PATH_MAX * 2);
	if (sbuf_printf(&p, "%s/.maps.lock", c->o->out_dir) < 0 ||
	    sbuf_nul(&p) < 0) {
		sbuf_fini(&p);
		return sys_error(c, "cannot name the lock in", c->o->out_dir);
	}
	c->lockfd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->lockfd < 0 || flock(c->lockfd, LOCK_EX) < 0)
		r = sys_error(c, "cannot lock", p.s);
	sbuf_fini(&p);
	return r;
}

static int
outs_start(struct ctx *c)
{
	struct out *w;
	int i;

	for (i = 0; i < OUT_N; i++) {
		w = &c->out[i];
		if (i == OUT_SECRETS && c->o->tier == MAPS_TIER_MX)
			continue;
		w->is_used = 1;
		if (out_path(&w->tmp, c->o->out_dir, out_names[i], ".tmp") < 0 ||
		    out_path(&w->final, c->o->out_dir, out_names[i], "") < 0)
			return sys_error(c, "cannot name", out_names[i]);
		w->mk = cdbmap_make_start(w->tmp, i == OUT_SECRETS ? 0640 :
		    0644);
		if (w->mk == NULL)
			return sys_error(c, "cannot create", w->tmp);
	}
	return 0;
}

static void
outs_discard(struct ctx *c)
{
	int i;

	for (i = 0; i < OUT_N; i++) {
		if (c->out[i].mk != NULL)
			cdbmap_make_abort(&c->out[i].mk);
		if (c->out[i].tmp != NULL && !c->out[i].is_renamed)
			(void)unlink(c->out[i].tmp);	/* best effort */
		free(c->out[i].tmp);
		free(c->out[i].final);
		c->out[i].tmp = c->out[i].final = NULL;
	}
}

static int
out_add(struct ctx *c, enum out_id id, const struct sbuf *k,
    const void *v, size_t vlen)
{
	struct out *w = &c->out[id];

	if (cdbmap_make_add(w->mk, k->s, k->len, v, vlen) < 0)
		return sys_error(c, "cannot write", w->tmp);
	w->n++;
	return 0;
}

static int
outs_commit(struct ctx *c)
{
	struct group *gr;
	int i, k;

	for (i = 0; i < OUT_N; i++)
		if (c->out[i].is_used && cdbmap_make_finish(&c->out[i].mk) < 0)
			return sys_error(c, "cannot finish", c->out[i].tmp);
	/* tern-authd (group ternauth) is the one reader of the hashes. */
	if (c->out[OUT_SECRETS].is_used && geteuid() == 0 &&
	    (gr = getgrnam(SECRETS_GROUP)) != NULL &&
	    chown(c->out[OUT_SECRETS].tmp, 0, gr->gr_gid) < 0)
		return sys_error(c, "cannot chown", c->out[OUT_SECRETS].tmp);
	/*
	 * Installed one by one, in an order that keeps what a reader sees
	 * consistent: the routes (and the other maps) first, accounts.cdb
	 * last.  A reader that finds an account's new host= (tern-user
	 * move) must find the route to that host too: with accounts first,
	 * tern-qmgr relayed a moved account's mail in the window between
	 * the two renames, tern-remote found no route for the new host,
	 * looked its name up in the DNS and bounced the mail (5.1.2).
	 */
	for (k = 0; k < OUT_N; k++) {
		i = install_order[k];
		if (c->out[i].is_used &&
		    durable_rename_sync(c->out[i].tmp, c->out[i].final) < 0)
			return sys_error(c, "cannot rename", c->out[i].tmp);
		c->out[i].is_renamed = 1;
	}
	if (c->o->tier == MAPS_TIER_MX) {
		char *old;

		if (out_path(&old, c->o->out_dir, "secrets", "") < 0)
			return sys_error(c, "cannot name", "secrets");
		if (durable_unlink_sync(old) < 0 && errno != ENOENT) {
			i = sys_error(c, "cannot remove", old);
			free(old);
			return i;
		}
		free(old);
	}
	return 0;
}

/* --- the sources -------------------------------------------------------- */

typedef int (*line_fn)(struct ctx *, struct src *, const char *, size_t);

static int
each_line(struct ctx *c, const char *name, line_fn fn)
{
	struct src s;
	const char *line;
	size_t len;
	int r, toolong;

	if ((r = src_open(&s, c->o->src_dir, name)) != 0) {
		if (r == 1) {
			src_close(&s);
			return 0;
		}
		r = sys_error(c, "cannot open", s.path ? s.path : name);
		src_close(&s);
		return r;
	}
	while ((r = src_line(&s, &line, &len, &toolong)) == 1) {
		if (toolong) {
			error_at(c, &s, s.lineno, "%s", "line too long");
			continue;
		}
		if ((r = fn(c, &s, line, len)) < 0)
			break;
	}
	if (r < 0 && r != MAPS_ESYS)
		r = sys_error(c, "cannot read", s.path);
	src_close(&s);
	return r < 0 ? r : 0;
}

static int
domain_line(struct ctx *c, struct src *s, const char *line, size_t len)
{
	struct maps_slice d;
	enum maps_domain_kind kind;
	const char *why, *kn;
	unsigned long first;
	int r, tag;

	if ((r = maps_parse_domain(line, len, &d, &kind, &why)) <= 0) {
		if (r < 0)
			error_at(c, s, s->lineno, "%s", why);
		return 0;
	}
	sbuf_reset(&c->key);
	if (maps_key(&c->key, d.p, d.n) < 0)
		return sys_error(c, "out of memory in", s->path);
	r = keyset_add(&c->keys, c->key.s, c->key.len, s->lineno,
	    (int)kind, &first, &tag);
	if (r < 0)
		return sys_error(c, "out of memory in", s->path);
	if (r == 0) {
		error_at(c, s, s->lineno, "duplicate domain (first at line %lu)",
		    first);
		return 0;
	}
	kn = maps_domain_kind_name(kind);
	return out_add(c, OUT_DOMAINS, &c->key, kn, strlen(kn));
}

/* The checks that need the configuration and the other maps. */
static int
account_check(struct ctx *c, struct src *s, const struct maps_account *a)
{
	const char *at, *why;
	int tag;

	at = memrchr(c->key.s, '@', c->key.len);
	if (!keyset_find(&c->keys, at + 1,
	    c->key.len - (size_t)(at - c->key.s) - 1, &tag) ||
	    tag == MAPS_DOMAIN_RELAY) {
		error_at(c, s, s->lineno, "domain %s is not listed as local "
		    "or virtual in domains", at + 1);
		return -1;
	}
	if (a->uid < c->o->uid_min || a->uid > c->o->uid_max) {
		error_at(c, s, s->lineno, "uid %lu is outside "
		    "account_uid_min..account_uid_max (%llu..%llu)",
		    (unsigned long)a->uid,
		    (unsigned long long)c->o->uid_min,
		    (unsigned long long)c->o->uid_max);
		return -1;
	}
	sbuf_reset(&c->hash);
	if (a->pass.n > 0) {
		if (sbuf_set_n(&c->tmp, a->pass.p, a->pass.n) < 0 ||
		    sbuf_nul(&c->tmp) < 0) {
			error_at(c, s, s->lineno, "%s", "pass= is too long");
			return -1;
		}
		if (passwd_import(c->tmp.s, c->o->allow_plain, &c->hash,
		    &why) < 0) {
			error_at(c, s, s->lineno, "pass= %s", why);
			return -1;
		}
	}
	return 0;
}

static int
account_line(struct ctx *c, struct src *s, const char *line, size_t len)
{
	struct maps_account a;
	const char *why;
	unsigned long first;
	int r, tag;

	if ((r = maps_parse_account(line, len, &a, &why)) <= 0) {
		if (r < 0)
			error_at(c, s, s->lineno, "%s", why);
		return 0;
	}
	sbuf_reset(&c->key);
	if (maps_key(&c->key, a.addr.p, a.addr.n) < 0 || sbuf_nul(&c->key) < 0)
		return sys_error(c, "out of memory in", s->path);
	r = keyset_add(&c->keys, c->key.s, c->key.len, s->lineno, 255,
	    &first, &tag);
	if (r < 0)
		return sys_error(c, "out of memory in", s->path);
	if (r == 0) {
		error_at(c, s, s->lineno, "duplicate address (first at line "
		    "%lu)", first);
		return 0;
	}
	if (account_check(c, s, &a) < 0)
		return 0;
	if (c->nuids == c->capuids) {
		size_t ncap = c->capuids ? c->capuids * 2 : 4096;
		uint64_t *u = mem_realloc(c->uids, ncap, sizeof *u);

		if (u == NULL)
			return sys_error(c, "out of memory in", s->path);
		c->uids = u;
		c->capuids = ncap;
	}
	c->uids[c->nuids++] = (uint64_t)a.uid << 32 | (uint32_t)s->lineno;
	if (c->nerr > 0)
		return 0;	/* nothing will be kept: skip the writing */
	sbuf_reset(&c->home);
	if (a.home.n == 0 ? maps_maildir_path(&c->home, c->o->mail_dir,
	    a.addr.p, a.addr.n) < 0 : sbuf_set_n(&c->home, a.home.p,
	    a.home.n) < 0) {
		error_at(c, s, s->lineno, "%s", "home path too long");
		return 0;
	}
	if (maps_account_encode(&c->val, a.uid, a.quota, a.status, a.host.p,
	    a.host.n, c->home.s, c->home.len) < 0)
		return sys_error(c, "out of memory in", s->path);
	if ((r = out_add(c, OUT_ACCOUNTS, &c->key, c->val.s, c->val.len)) < 0)
		return r;
	if (c->out[OUT_SECRETS].is_used && c->hash.len > 0)
		return out_add(c, OUT_SECRETS, &c->key, c->hash.s, c->hash.len);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
uids_check(struct ctx *c)
{
	size_t i;
	struct sbuf path;
	struct src s;

	if (c->nuids < 2)
		return;
	qsort(c->uids, c->nuids, sizeof *c->uids, cmp_u64);
	sbuf_init(&path, MAPS_PATH_MAX * 2);
	(void)sbuf_printf(&path, "%s/accounts", c->o->src_dir);
	memset(&s, 0, sizeof s);
	s.path = path.s;
	for (i = 1; i < c->nuids; i++) {
		if (c->uids[i] >> 32 != c->uids[i - 1] >> 32)
			continue;
		error_at(c, &s, (unsigned long)(c->uids[i] & 0xffffffffU),
		    "uid %lu already used (line %lu)",
		    (unsigned long)(c->uids[i] >> 32),
		    (unsigned long)(c->uids[i - 1] & 0xffffffffU));
	}
	sbuf_fini(&path);
}

static int
alias_line(struct ctx *c, struct src *s, const char *line, size_t len)
{
	struct maps_slice k;
	const char *why;
	unsigned long first;
	int r, tag;

	if ((r = maps_parse_alias(line, len, &k, &c->val, &why)) <= 0) {
		if (r < 0)
			error_at(c, s, s->lineno, "%s", why);
		return 0;
	}
	sbuf_reset(&c->key);
	if (maps_key(&c->key, k.p, k.n) < 0)
		return sys_error(c, "out of memory in", s->path);
	/* Aliases share the set with accounts: an alias beside an account
	 * of the same name would never be used. */
	r = keyset_add(&c->keys, c->key.s, c->key.len, s->lineno, 254,
	    &first, &tag);
	if (r < 0)
		return sys_error(c, "out of memory in", s->path);
	if (r == 0) {
		error_at(c, s, s->lineno, "duplicate: %s (line %lu)",
		    tag == 254 ? "alias already given" :
		    tag == 255 ? "an account has this address" :
		    "a domain has this name", first);
		return 0;
	}
	return out_add(c, OUT_ALIASES, &c->key, c->val.s, c->val.len);
}

static int
route_line(struct ctx *c, struct src *s, const char *line, size_t len)
{
	struct maps_slice k, text;
	struct maps_nexthop hop;
	const char *why;
	unsigned long first;
	int r, tag;

	if ((r = maps_parse_route(line, len, &k, &hop, &text, &why)) <= 0) {
		if (r < 0)
			error_at(c, s, s->lineno, "%s", why);
		return 0;
	}
	sbuf_reset(&c->key);
	/* Routes have their own key space: "route:" keeps them apart. */
	if (sbuf_cat_s(&c->key, "route:") < 0 ||
	    maps_key(&c->key, k.p, k.n) < 0)
		return sys_error(c, "out of memory in", s->path);
	r = keyset_add(&c->keys, c->key.s, c->key.len, s->lineno, 253,
	    &first, &tag);
	if (r < 0)
		return sys_error(c, "out of memory in", s->path);
	if (r == 0) {
		error_at(c, s, s->lineno, "duplicate route (first at line %lu)",
		    first);
		return 0;
	}
	sbuf_consume(&c->key, 6);
	return out_add(c, OUT_ROUTES, &c->key, text.p, text.n);
}

/* sender_login: "ADDRESS: ACCOUNT, ..." or "@DOMAIN: ACCOUNT, ...", the
 * aliases syntax; the first line of a key wins (no keyset: its own
 * name space). */
static int
sender_line(struct ctx *c, struct src *s, const char *line, size_t len)
{
	struct maps_slice k;
	const char *why;
	int r;

	if ((r = maps_parse_alias(line, len, &k, &c->val, &why)) <= 0) {
		if (r < 0)
			error_at(c, s, s->lineno, "%s", why);
		return 0;
	}
	sbuf_reset(&c->key);
	if (maps_key(&c->key, k.p, k.n) < 0)
		return sys_error(c, "out of memory in", s->path);
	return out_add(c, OUT_SENDERS, &c->key, c->val.s, c->val.len);
}

static void
ctx_fini(struct ctx *c)
{
	outs_discard(c);
	if (c->lockfd >= 0)
		(void)close(c->lockfd);	/* releases the lock */
	keyset_fini(&c->keys);
	sbuf_fini(&c->key);
	sbuf_fini(&c->val);
	sbuf_fini_secret(&c->hash);	/* may hold a {PLAIN} password */
	sbuf_fini_secret(&c->tmp);
	sbuf_fini(&c->home);
	free(c->uids);
}

int
maps_compile(const struct maps_compile_opts *o, struct sbuf *errs,
    size_t *nerr_r, struct maps_stats *st)
{
	struct ctx c;
	int r;

	memset(&c, 0, sizeof c);
	memset(st, 0, sizeof *st);
	c.o = o;
	c.errs = errs;
	sbuf_init(&c.key, MAPS_LINE_MAX + 16);
	sbuf_init(&c.val, MAPS_LINE_MAX + MAPS_RECORD_MAX);
	sbuf_init(&c.hash, PASSWD_HASH_MAX + MAPS_LINE_MAX);
	sbuf_init(&c.tmp, MAPS_LINE_MAX);
	sbuf_init(&c.home, MAPS_PATH_MAX + MAPS_ADDR_MAX + 16);
	*nerr_r = 0;
	c.lockfd = -1;
	if ((r = lock_out(&c)) < 0 || (r = outs_start(&c)) < 0 ||
	    (r = each_line(&c, "domains", domain_line)) < 0 ||
	    (r = each_line(&c, "accounts", account_line)) < 0 ||
	    (r = each_line(&c, "aliases", alias_line)) < 0 ||
	    (r = each_line(&c, "routes", route_line)) < 0 ||
	    (r = each_line(&c, "sender_login", sender_line)) < 0)
		goto out;
	uids_check(&c);
	if (c.nerr > 0) {
		r = MAPS_EINPUT;
		goto out;
	}
	if ((r = outs_commit(&c)) < 0)
		goto out;
	st->domains = c.out[OUT_DOMAINS].n;
	st->accounts = c.out[OUT_ACCOUNTS].n;
	st->secrets = c.out[OUT_SECRETS].n;
	st->aliases = c.out[OUT_ALIASES].n;
	st->routes = c.out[OUT_ROUTES].n;
out:
	*nerr_r = c.nerr;
	r = r < 0 ? r : 0;
	{
		int saved = errno;

		ctx_fini(&c);
		errno = saved;
	}
	return r;
}

int
maps_compile_opts_conf(struct maps_compile_opts *o, const struct conf *cf,
    const char **why_r)
{
	memset(o, 0, sizeof *o);
	o->tier = MAPS_TIER_ALL;
	o->src_dir = conf_dir(cf);
	o->out_dir = conf_str(cf, "map_dir");
	o->mail_dir = conf_str(cf, "mail_dir");
	if (o->src_dir == NULL || o->out_dir == NULL || o->mail_dir == NULL) {
		*why_r = "map_dir or mail_dir has no value";
		return -1;
	}
	if (conf_uint(cf, "account_uid_min", &o->uid_min) < 0 ||
	    conf_uint(cf, "account_uid_max", &o->uid_max) < 0 ||
	    o->uid_min > o->uid_max || o->uid_max > UINT32_MAX - 1 ||
	    o->uid_min == 0) {
		*why_r = "account_uid_min..account_uid_max is not a range of "
		    "uids above 0";
		return -1;
	}
	if (conf_bool(cf, "allow_plain_passwords", &o->allow_plain) < 0) {
		*why_r = "allow_plain_passwords is not yes or no";
		return -1;
	}
	return 0;
}
