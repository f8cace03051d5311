/*
 * conf_check.c - conf_validate(), conf_read() and conf_dump(); see conf.h.
 * Which keys matter (set, global defaults, services' keys), their types and
 * enumerations after expansion, and the sorted dump.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/conf_int.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/roles.h"
#include "lib/scan.h"
#include "lib/sock.h"

/* ------------------------------------------------------------------ */
/* The keys that matter: set, global defaults, services' keys. */

struct names {
	char	**v;
	size_t	 n, cap;
};

static int
names_add(struct names *nm, const char *s)
{
	char *d;

	if (nm->n == nm->cap) {
		size_t ncap = nm->cap ? nm->cap * 2 : 64;
		char **nv = mem_realloc(nm->v, ncap, sizeof *nv);

		if (nv == NULL)
			return -1;
		nm->v = nv;
		nm->cap = ncap;
	}
	if ((d = mem_strdup(s)) == NULL)
		return -1;
	nm->v[nm->n++] = d;
	return 0;
}

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	nm->v = NULL;
	nm->n = nm->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates. */
static void
names_sort(struct names *nm)
{
	size_t i, k;

	if (nm->n == 0)
		return;
	qsort(nm->v, nm->n, sizeof *nm->v, cmp_str);
	for (i = 1, k = 1; i < nm->n; i++) {
		if (strcmp(nm->v[i], nm->v[k - 1]) == 0)
			free(nm->v[i]);
		else
			nm->v[k++] = nm->v[i];
	}
	nm->n = k;
}

/* Every "*.attr" key for service svc. */
static int
names_add_service(struct names *nm, const char *svc, size_t len)
{
	const struct conf_key *k;
	struct sbuf b;
	int r = 0;

	sbuf_init(&b, CONF_KEY_MAX * 2);
	for (k = conf_keys; k->name != NULL && r == 0; k++) {
		if (k->name[0] != '*')
			continue;
		sbuf_reset(&b);
		if (sbuf_cat_n(&b, svc, len) < 0 ||
		    sbuf_cat_s(&b, k->name + 1) < 0 || sbuf_str(&b) == NULL ||
		    names_add(nm, b.s) < 0)
			r = -1;
	}
	sbuf_fini(&b);
	return r;
}

/*
 * The keys set in files; unless only_set, also every global key and every
 * service key of each service with a key set (and, with listed, of each
 * service named in "services").
 */
static int
collect(const struct conf *c, int only_set, int listed, struct names *nm)
{
	const struct conf_key *k;
	const char *dot;
	char **w;
	size_t i, n;

	memset(nm, 0, sizeof *nm);
	for (i = 0; i < c->nent; i++)
		if (names_add(nm, c->ent[i].key) < 0)
			goto fail;
	if (only_set)
		goto done;
	for (k = conf_keys; k->name != NULL; k++)
		if (k->name[0] != '*' && names_add(nm, k->name) < 0)
			goto fail;
	for (i = 0; i < c->nent; i++) {
		dot = strchr(c->ent[i].key, '.');
		if (dot != NULL && conf_key_find(c->ent[i].key)->name[0] == '*'
		    && names_add_service(nm, c->ent[i].key,
		    (size_t)(dot - c->ent[i].key)) < 0)
			goto fail;
	}
	if (listed && conf_services(c, &w, &n) == 0) {
		for (i = 0; i < n; i++)
			if (conf_is_service_name(w[i]) &&
			    names_add_service(nm, w[i], strlen(w[i])) < 0) {
				free(w);
				goto fail;
			}
		free(w);
	}
done:
	names_sort(nm);
	return 0;
fail:
	names_free(nm);
	errno = ENOMEM;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Validation. */

static const char *const roles_ok[] = { "mx", "storage", "front",
    "submission", "all", NULL };
static const char *const scheme_ok[] = { "yescrypt", "sha512-crypt", NULL };
static const char *const log_ok[] = { "syslog", "stderr", NULL };
static const char *const type_ok[] = { "tcp", "daemon", NULL };
static const char *const quota_ok[] = { "defer", "bounce", NULL };

/* Keys whose words must come from a fixed set (matched by schema name). */
static const struct conf_enum {
	const char		*key;
	const char *const	*ok;
	int			 is_list;	/* every word, at least one */
} conf_enums[] = {
	{ "roles", roles_ok, 1 },
	{ "password_scheme", scheme_ok, 0 },
	{ "log", log_ok, 0 },
	{ "*.type", type_ok, 0 },
	{ "quota_exceeded", quota_ok, 0 },
	{ NULL, NULL, 0 }
};

struct vstate {
	const struct conf *c;
	struct sbuf	*err;
	int		 nerr;
	struct names	 seen;		/* expansion messages already given */
};

/* Report a finished "FILE:LINE: message" once. */
static void
verr_raw(struct vstate *v, const char *why)
{
	size_t i;

	if (v->nerr >= CONF_ERRORS_MAX) {
		v->nerr++;	/* no longer printed: no need to deduplicate */
		return;
	}
	for (i = 0; i < v->seen.n; i++)
		if (strcmp(v->seen.v[i], why) == 0)
			return;
	(void)names_add(&v->seen, why);	/* lost: a repeated message */
	v->nerr++;
	if (v->err == NULL || v->nerr > CONF_ERRORS_MAX)
		return;
	if (v->err->len > 0)
		(void)sbuf_cat_c(v->err, '\n');
	(void)sbuf_cat_s(v->err, why);
}

static void
verr(struct vstate *v, const struct conf_src *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verr(struct vstate *v, const struct conf_src *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_vadd(v->err, &v->nerr, s->file, s->line, fmt, ap);
	va_end(ap);
}

static int
word_in(const char *w, const char *const *ok)
{
	for (; *ok != NULL; ok++)
		if (strcmp(w, *ok) == 0)
			return 1;
	return 0;
}

static void
check_enum(struct vstate *v, const char *key, const struct conf_key *k,
    const char *val, const struct conf_src *s)
{
	const struct conf_enum *e;
	char **w;
	size_t n, i;

	for (e = conf_enums; e->key != NULL; e++) {
		if (strcmp(e->key, k->name) != 0)
			continue;
		if (!e->is_list) {
			if (!word_in(val, e->ok))
				verr(v, s, "%s: '%s' is not one of the allowed "
				    "values", key, log_esc(val, strlen(val)));
			continue;
		}
		if (conf_split_words(val, &w, &n) < 0) {
			verr(v, s, "%s: out of memory", key);
			continue;
		}
		if (n == 0)
			verr(v, s, "%s: empty list", key);
		for (i = 0; i < n; i++)
			if (!word_in(w[i], e->ok))
				verr(v, s, "%s: '%s' is not one of the allowed "
				    "values", key, log_esc(w[i], strlen(w[i])));
		free(w);
	}
}

/*
 * Whether key is a "*_timeout": 0 there would not mean "never" to every
 * reader (a POP3 session's worker took its default, its TLS relay 60 s),
 * so it is refused where it is set.
 */
static int
is_timeout(const char *key)
{
	size_t n = strlen(key), m = sizeof "_timeout" - 1;

	return n > m && strcmp(key + n - m, "_timeout") == 0;
}

static void
check_type(struct vstate *v, const char *key, const struct conf_key *k,
    const char *val, const struct conf_src *s)
{
	uint64_t u;
	int b;

	switch (k->type) {
	case CONF_STR:
	case CONF_LIST:
		break;
	case CONF_UINT:
		if (scan_u64_s(val, &u) < 0)
			verr(v, s, "%s: '%s' is not a number", key,
			    log_esc(val, strlen(val)));
		break;
	case CONF_BOOL:
		if (scan_bool_s(val, &b) < 0)
			verr(v, s, "%s: '%s' is not yes or no", key,
			    log_esc(val, strlen(val)));
		break;
	case CONF_DURATION:
		if (scan_duration_s(val, &u) < 0)
			verr(v, s, "%s: '%s' is not a duration (like 90, 5m, "
			    "2h, 1d, 1w)", key, log_esc(val, strlen(val)));
		else if (u == 0 && is_timeout(key))
			verr(v, s, "%s: 0 is not a timeout (give at least 1s)",
			    key);
		break;
	case CONF_SIZE:
		if (scan_size_s(val, &u) < 0)
			verr(v, s, "%s: '%s' is not a size (like 512, 64k, "
			    "10M, 2G)", key, log_esc(val, strlen(val)));
		break;
	case CONF_PATH:
		if (val[0] != '/')
			verr(v, s, "%s: '%s' is not an absolute path", key,
			    log_esc(val, strlen(val)));
		break;
	}
}

/*
 * A service's listen addresses (*.listen): the supervisor parses them
 * again when it binds; checked here so tern-conf finds a typo
 * before a reload does.
 */
static void
check_listen(struct vstate *v, const char *key, const char *val,
    const struct conf_src *s)
{
	struct sock_addr sa;
	const char *dot = strrchr(key, '.'), *why;
	char **w;
	size_t n, i;

	if (dot == NULL || strcmp(dot, ".listen") != 0)
		return;
	if (conf_split_words(val, &w, &n) < 0) {
		verr(v, s, "%s: out of memory", key);
		return;
	}
	for (i = 0; i < n; i++)
		if (sock_parse_s(w[i], &sa, &why) < 0)
			verr(v, s, "%s: '%s': %s", key,
			    log_esc(w[i], strlen(w[i])), why);
	free(w);
}

static void
check_key(struct vstate *v, const char *key)
{
	const struct conf *c = v->c;
	const struct conf_key *k = conf_key_find(key);
	struct conf_src s;
	size_t i;

	if (k == NULL || conf_key_source(c, key, &s) < 0)
		return;		/* cannot happen: collect() gives known keys */
	if (conf_expand(c, key, &i) != XR_OK) {
		verr_raw(v, c->cache->m[i].why ? c->cache->m[i].why :
		    "out of memory");
		return;
	}
	check_type(v, key, k, c->cache->m[i].val, &s);
	check_enum(v, key, k, c->cache->m[i].val, &s);
	check_listen(v, key, c->cache->m[i].val, &s);
}

/* Services that the host's roles do not run (lib/roles.h; issue 8). */
static void
check_roles(struct vstate *v, const struct conf_src *s)
{
	struct sbuf msg;
	const char *p, *nl;

	sbuf_init(&msg, 16384);
	if (roles_check(v->c, &msg) > 0 && sbuf_nul(&msg) == 0)
		for (p = msg.s; *p != '\0'; p = *nl ? nl + 1 : nl) {
			nl = p + strcspn(p, "\n");
			verr(v, s, "%.*s", (int)(nl - p), p);
		}
	sbuf_fini(&msg);
}

static void
check_services(struct vstate *v)
{
	struct conf_src s;
	char **w;
	size_t n, i, j;

	if (conf_key_source(v->c, "services", &s) < 0 ||
	    conf_services(v->c, &w, &n) < 0)
		return;		/* an expansion error, reported already */
	for (i = 0; i < n; i++) {
		if (!conf_is_service_name(w[i])) {
			verr(v, &s, "services: '%s' is not a service name "
			    "([a-z0-9_-]+)", log_esc(w[i], strlen(w[i])));
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(w[i], w[j]) == 0)
				verr(v, &s, "services: '%s' listed twice",
				    w[i]);
	}
	free(w);
	check_roles(v, &s);
}

static void
check_uid_range(struct vstate *v)
{
	uint64_t lo, hi;
	struct conf_src s;

	if (conf_uint(v->c, "account_uid_min", &lo) < 0 ||
	    conf_uint(v->c, "account_uid_max", &hi) < 0 ||
	    conf_key_source(v->c, "account_uid_max", &s) < 0)
		return;		/* reported as a type error */
	if (lo > hi)
		verr(v, &s, "account_uid_max is below account_uid_min");
	else if (hi > UINT32_MAX - 1)
		verr(v, &s, "account_uid_max is too large for a uid");
}

int
conf_validate(const struct conf *c, struct sbuf *err)
{
	struct vstate v;
	struct names nm;
	size_t i;

	memset(&v, 0, sizeof v);
	v.c = c;
	v.err = err;
	if (collect(c, 0, 1, &nm) < 0)
		return -1;
	for (i = 0; i < nm.n; i++)
		check_key(&v, nm.v[i]);
	names_free(&nm);
	check_services(&v);
	check_uid_range(&v);
	names_free(&v.seen);
	if (v.nerr > 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
conf_read(const char *opt_c, struct conf **conf_r, struct sbuf *err)
{
	const char *path = conf_locate(opt_c);
	int e;

	*conf_r = NULL;
	if (path == NULL) {
		if (err != NULL)
			(void)sbuf_printf(err, "$TERN_HOME/tern.conf:0: %s",
			    strerror(errno));
		return -1;
	}
	if (conf_load(path, conf_r, err) < 0)
		return -1;
	if (conf_validate(*conf_r, err) < 0) {
		e = errno;
		conf_free(conf_r);
		errno = e;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dump. */

int
conf_dump(const struct conf *c, FILE *fp, int only_set)
{
	struct names nm;
	const char *v;
	size_t i, j;
	int r = 0;

	if (collect(c, only_set, 0, &nm) < 0)
		return -1;
	if (!only_set && fprintf(fp, "conf_dir = %s\n", c->dir) < 0)
		r = -1;
	for (i = 0; i < nm.n && r == 0; i++) {
		if (conf_expand(c, nm.v[i], &j) == XR_OK)
			v = c->cache->m[j].val;
		else if ((v = conf_ent_find(c, nm.v[i]) ?
		    conf_ent_find(c, nm.v[i])->val : NULL) == NULL)
			v = conf_key_find(nm.v[i])->def;
		if (fprintf(fp, "%s =%s%s\n", nm.v[i], v[0] ? " " : "",
		    v) < 0)
			r = -1;
	}
	names_free(&nm);
	if (r < 0 && errno == 0)
		errno = EIO;
	return r;
}
