/* resolve.c - address resolution through the maps; see resolve.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "lib/addr.h"
#include "lib/cdbmap.h"
#include "lib/maps.h"
#include "lib/mem.h"
#include "lib/resolve.h"
#include "lib/sbuf.h"

#define SEEN_MAX	(RESOLVE_TARGETS_MAX * 2)	/* addresses walked */
#define RESOLVE_TRIES_MAX	3	/* walks when the maps change meanwhile */

struct walk {
	struct resolve_maps	*m;
	struct resolve_result	*r;
	char			**seen;
	size_t			 nseen;
	int			 loop;
	int			 toomany;
	size_t			 disabled;
};

static int
open_map(struct cdbmap **m_r, const char *dir, const char *name)
{
	struct sbuf path;
	int r = -1;

	sbuf_init(&path, MAPS_PATH_MAX);
	if (sbuf_printf(&path, "%s/%s", dir, name) == 0 &&
	    (*m_r = cdbmap_open(sbuf_str(&path), CDBMAP_MISSING_OK)) != NULL)
		r = 0;
	sbuf_fini(&path);
	return r;
}

int
resolve_maps_open(struct resolve_maps *m, const char *map_dir,
    const char *delims)
{
	memset(m, 0, sizeof *m);
	if (strlcpy(m->delims, delims != NULL ? delims : "", sizeof m->delims)
	    >= sizeof m->delims) {
		errno = E2BIG;
		return -1;
	}
	if (open_map(&m->accounts, map_dir, "accounts.cdb") < 0 ||
	    open_map(&m->aliases, map_dir, "aliases.cdb") < 0 ||
	    open_map(&m->domains, map_dir, "domains.cdb") < 0) {
		resolve_maps_close(m);
		return -1;
	}
	return 0;
}

int
resolve_maps_hugepages(struct resolve_maps *m)
{
	return cdbmap_hugepages(m->accounts) + cdbmap_hugepages(m->aliases) +
	    cdbmap_hugepages(m->domains);
}

int
resolve_maps_check(struct resolve_maps *m)
{
	int r = 0;

	/* Each map on its own: one that fails does not stop the others. */
	if (cdbmap_check(m->accounts) < 0)
		r = -1;
	if (cdbmap_check(m->aliases) < 0)
		r = -1;
	if (cdbmap_check(m->domains) < 0)
		r = -1;
	return r;
}

void
resolve_maps_close(struct resolve_maps *m)
{
	cdbmap_close(&m->accounts);
	cdbmap_close(&m->aliases);
	cdbmap_close(&m->domains);
}

/*
 * Look up the lowercased key; 1 found, 0 not, -1 error.  A miss may be
 * a second old (cdbmap_lookup_stale): resolve_address() confirms the
 * misses its verdict rests on.
 */
static int
lookup(struct cdbmap *map, const char *k, size_t n, const void **v,
    size_t *vn)
{
	struct sbuf key;
	int r;

	sbuf_init(&key, MAPS_ADDR_MAX + 2);
	if (maps_key(&key, k, n) < 0) {
		sbuf_fini(&key);
		return 0;	/* longer than any key: not found */
	}
	r = cdbmap_lookup_stale(map, key.s, key.len, v, vn);
	sbuf_fini(&key);
	return r;
}

/* resolve_domain_kind without the confirmation of a miss. */
static int
domain_kind(struct resolve_maps *m, const char *d, size_t n,
    enum resolve_domain *kind_r)
{
	const void *v;
	size_t vn;
	int r;

	*kind_r = RESOLVE_DOM_FOREIGN;
	r = lookup(m->domains, d, n, &v, &vn);
	if (r <= 0)
		return r;
	if (vn == 5 && memcmp(v, "local", 5) == 0)
		*kind_r = RESOLVE_DOM_LOCAL;
	else if (vn == 7 && memcmp(v, "virtual", 7) == 0)
		*kind_r = RESOLVE_DOM_VIRTUAL;
	else if (vn == 5 && memcmp(v, "relay", 5) == 0)
		*kind_r = RESOLVE_DOM_RELAY;
	return 0;
}

int
resolve_domain_kind(struct resolve_maps *m, const char *d, size_t n,
    enum resolve_domain *kind_r)
{
	int r;

	if (domain_kind(m, d, n, kind_r) < 0)
		return -1;
	if (*kind_r != RESOLVE_DOM_FOREIGN)
		return 0;
	if ((r = cdbmap_confirm(m->domains)) <= 0)
		return r;
	return domain_kind(m, d, n, kind_r);	/* a new file: ask again */
}

/* Was this (lowercased) address walked already?  Else remember it. */
static int
seen_or_add(struct walk *w, const char *a, size_t n, int *seen_r)
{
	size_t i;
	char **ns, *copy;

	for (i = 0; i < w->nseen; i++)
		if (strncasecmp(w->seen[i], a, n) == 0 && w->seen[i][n] == '\0') {
			*seen_r = 1;
			return 0;
		}
	*seen_r = 0;
	if (w->nseen >= SEEN_MAX) {
		w->toomany = 1;
		*seen_r = 1;
		return 0;
	}
	if ((copy = mem_strndup(a, n)) == NULL)
		return -1;
	ns = mem_realloc(w->seen, w->nseen + 1, sizeof *ns);
	if (ns == NULL) {
		free(copy);
		return -1;
	}
	w->seen = ns;
	w->seen[w->nseen++] = copy;
	return 0;
}

static int
add_target(struct walk *w, enum resolve_kind kind, const char *a, size_t n,
    const struct maps_record *rec)
{
	struct resolve_result *r = w->r;
	struct resolve_target *t, *nt;
	size_t i;

	if (n > MAPS_ADDR_MAX)
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->t[i].kind == kind && strncasecmp(r->t[i].addr, a, n) == 0 &&
		    r->t[i].addr[n] == '\0')
			return 0;
	if (r->n >= RESOLVE_TARGETS_MAX) {
		w->toomany = 1;
		return 0;
	}
	nt = mem_realloc(r->t, r->n + 1, sizeof *nt);
	if (nt == NULL)
		return -1;
	r->t = nt;
	t = &r->t[r->n++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	memcpy(t->addr, a, n);
	t->addr[n] = '\0';
	if (kind == RESOLVE_T_LOCAL) {
		/* Account keys are stored lowercased; deliver under that key. */
		for (i = 0; i < n; i++)
			if (t->addr[i] >= 'A' && t->addr[i] <= 'Z')
				t->addr[i] = (char)(t->addr[i] - 'A' + 'a');
		t->uid = rec->uid;
		t->moving = rec->status == MAPS_MOVING;
		if (rec->host.n > 0 && rec->host.n <= MAPS_DOMAIN_MAX)
			memcpy(t->host, rec->host.p, rec->host.n);
	}
	return 0;
}

/* An account under this exact key?  1 added (or disabled), 0 none, -1 error. */
static int
try_account(struct walk *w, const char *a, size_t n)
{
	struct maps_record rec;
	const char *why;
	const void *v;
	size_t vn;
	int r;

	if ((r = lookup(w->m->accounts, a, n, &v, &vn)) <= 0)
		return r;
	if (maps_account_decode(v, vn, &rec, &why) < 0) {
		errno = EPROTO;		/* a damaged map: temporary */
		return -1;
	}
	if (rec.status == MAPS_DISABLED) {
		w->disabled++;
		return 1;
	}
	return add_target(w, RESOLVE_T_LOCAL, a, n, &rec) < 0 ? -1 : 1;
}

static int expand(struct walk *, const char *, size_t, int);

/* Expand the "t1,t2,..." value of an alias. */
static int
expand_list(struct walk *w, const char *v, size_t vn, int depth)
{
	size_t i = 0, j;

	while (i < vn) {
		for (j = i; j < vn && v[j] != ','; j++)
			;
		if (j > i && expand(w, v + i, j - i, depth) < 0)
			return -1;
		i = j + 1;
	}
	return 0;
}

/* An alias under this key?  1 expanded, 0 none, -1 error. */
static int
try_alias(struct walk *w, const char *k, size_t n, int depth)
{
	const void *v;
	size_t vn;
	int r, seen;

	if (seen_or_add(w, k, n, &seen) < 0)
		return -1;
	if (seen)
		return 0;
	if ((r = lookup(w->m->aliases, k, n, &v, &vn)) <= 0)
		return r;
	/* Copy: the value is only valid until the next lookup. */
	char *copy = mem_strndup(v, vn);
	if (copy == NULL)
		return -1;
	r = expand_list(w, copy, vn, depth + 1);
	free(copy);
	return r < 0 ? -1 : 1;
}

/* Steps 1-4 of the header for one address in a local or virtual domain. */
static int
expand_local(struct walk *w, const char *a, size_t n, size_t at, int depth)
{
	struct sbuf key;
	const char *ext;
	size_t baselen, extlen;
	int r;

	if ((r = try_alias(w, a, n, depth)) != 0)
		return r < 0 ? -1 : 0;
	if ((r = try_account(w, a, n)) != 0)
		return r < 0 ? -1 : 0;
	if (addr_split_delim(a, at, w->m->delims, &baselen, &ext, &extlen)) {
		sbuf_init(&key, MAPS_ADDR_MAX + 1);
		r = sbuf_cat_n(&key, a, baselen);
		if (r == 0)
			r = sbuf_cat_n(&key, a + at, n - at);
		if (r == 0 && (r = try_alias(w, key.s, key.len, depth)) == 0)
			r = try_account(w, key.s, key.len);
		sbuf_fini(&key);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if ((r = try_alias(w, a + at, n - at, depth)) != 0)	/* "@domain" */
		return r < 0 ? -1 : 0;
	w->r->unknown++;
	return 0;
}

/* known: the domain's class when the caller has it, else NULL. */
static int
expand_at(struct walk *w, const char *a, size_t n, int depth,
    const enum resolve_domain *known)
{
	enum resolve_domain kind;
	const char *at;

	if (depth > RESOLVE_DEPTH_MAX) {
		w->loop = 1;
		return 0;
	}
	if (w->toomany)
		return 0;
	/* The domain starts at the last '@' (a quoted local part may hold one). */
	at = NULL;
	for (size_t i = n; i > 0; i--)
		if (a[i - 1] == '@') {
			at = a + i - 1;
			break;
		}
	if (at == NULL || at == a || (size_t)(at - a) + 1 >= n) {
		w->r->unknown++;
		return 0;
	}
	if (known != NULL)
		kind = *known;
	else if (domain_kind(w->m, at + 1, n - (size_t)(at - a) - 1, &kind) < 0)
		return -1;
	switch (kind) {
	case RESOLVE_DOM_FOREIGN:
	case RESOLVE_DOM_RELAY:
		return add_target(w, RESOLVE_T_REMOTE, a, n, NULL);
	case RESOLVE_DOM_LOCAL:
	case RESOLVE_DOM_VIRTUAL:
		return expand_local(w, a, n, (size_t)(at - a), depth);
	}
	return 0;
}

static int
expand(struct walk *w, const char *a, size_t n, int depth)
{
	return expand_at(w, a, n, depth, NULL);
}

/*
 * The walk's one probe of the large map is accounts[address], after the
 * domain and the alias (a mapped accounts.cdb: the hash slot, then the
 * record, each a cache miss in a map larger than the caches).  Start
 * loading the slot before the domain's lookup, the record after it, so
 * that the misses overlap those two lookups.  key: the account key, or
 * an empty buffer when it need not be made.
 */
static void
prefetch_slot(const struct resolve_maps *m, const char *a, size_t n,
    struct sbuf *key)
{
	if (!cdbmap_is_mapped(m->accounts) || maps_key(key, a, n) < 0) {
		sbuf_reset(key);
		return;
	}
	cdbmap_prefetch(m->accounts, key->s, key->len);
}

/* One walk: 0 with r->status, or -1. *//* One walk: 0 with r->status, or -1. */
static int
resolve_once(struct resolve_maps *m, const char *a, size_t n,
    struct resolve_result *r)
{
	struct walk w;
	struct sbuf key;
	enum resolve_domain kind = RESOLVE_DOM_FOREIGN;
	const char *at = memrchr(a, '@', n);
	int rc;
	size_t i;

	memset(r, 0, sizeof *r);
	memset(&w, 0, sizeof w);
	w.m = m;
	w.r = r;
	sbuf_init(&key, MAPS_ADDR_MAX + 2);
	prefetch_slot(m, a, n, &key);
	if (at != NULL && domain_kind(m, at + 1, n - (size_t)(at - a) - 1,
	    &kind) < 0) {
		sbuf_fini(&key);
		return -1;
	}
	if (key.len > 0)
		cdbmap_prefetch_record(m->accounts, key.s, key.len);
	sbuf_fini(&key);
	/* expand() finds the same last '@': no second lookup of the domain. */
	rc = expand_at(&w, a, n, 0, at != NULL ? &kind : NULL);
	for (i = 0; i < w.nseen; i++)
		free(w.seen[i]);
	free(w.seen);
	if (rc < 0) {
		resolve_result_fini(r);
		return -1;
	}
	if (kind == RESOLVE_DOM_FOREIGN)
		r->status = RESOLVE_FOREIGN;
	else if (w.loop)
		r->status = RESOLVE_LOOP;
	else if (w.toomany)
		r->status = RESOLVE_TOOMANY;
	else if (r->n > 0)
		r->status = RESOLVE_OK;
	else if (w.disabled > 0)
		r->status = RESOLVE_DISABLED;
	else
		r->status = RESOLVE_UNKNOWN;
	return 0;
}

/*
 * Does the verdict rest on a miss: an unknown address or target, a
 * foreign domain, a remote target (its domain not found)?
 */
static int
rests_on_miss(const struct resolve_result *r)
{
	size_t i;

	if (r->status == RESOLVE_UNKNOWN || r->status == RESOLVE_FOREIGN ||
	    r->unknown > 0)
		return 1;
	for (i = 0; i < r->n; i++)
		if (r->t[i].kind == RESOLVE_T_REMOTE)
			return 1;
	return 0;
}

/* Confirm the stale misses of the three maps: 0, 1 (a map changed), -1. */
static int
confirm(struct resolve_maps *m)
{
	int a, b, c;

	if ((a = cdbmap_confirm(m->domains)) < 0 ||
	    (b = cdbmap_confirm(m->aliases)) < 0 ||
	    (c = cdbmap_confirm(m->accounts)) < 0)
		return -1;
	return a || b || c;
}

/*
 * The walk reads misses that may be a second old (one stat() per map
 * per second, not one per miss: most of a RCPT's cost otherwise); a
 * verdict that rests on a miss is confirmed against the files as they
 * are now (cdbmap_confirm: a stat of each map that gave such a miss),
 * and asked again when one changed, so "no such user" is never answered
 * from an older map (the 5.1.1 of tern-lspawn, cdbmap.h).
 */
int
resolve_address(struct resolve_maps *m, const char *a, size_t n,
    struct resolve_result *r)
{
	int tries, c;

	for (tries = 0;; tries++) {
		if (resolve_once(m, a, n, r) < 0)
			return -1;
		if (tries == RESOLVE_TRIES_MAX - 1 || !rests_on_miss(r))
			return 0;
		if ((c = confirm(m)) < 0) {
			resolve_result_fini(r);
			return -1;
		}
		if (c == 0)
			return 0;
		resolve_result_fini(r);	/* a map changed: ask again */
	}
}

void
resolve_result_fini(struct resolve_result *r)
{
	free(r->t);
	r->t = NULL;
	r->n = 0;
}

const char *
resolve_status_name(enum resolve_status s)
{
	switch (s) {
	case RESOLVE_OK:	return "ok";
	case RESOLVE_UNKNOWN:	return "unknown";
	case RESOLVE_DISABLED:	return "disabled";
	case RESOLVE_FOREIGN:	return "foreign";
	case RESOLVE_LOOP:	return "loop";
	case RESOLVE_TOOMANY:	return "too-many";
	}
	return "?";
}
