/*
 * conf.c - tern.conf reader; see conf.h.
 *
 * UNSAFE: parses each file as a pointer and a length (parse_buf,
 * parse_line, parse_setting) and splits lists in place (conf_split_words);
 * every index is checked against the length, no NUL is relied on.
 *
 * A file is read whole (bounded by CONF_FILE_MAX) and parsed from memory a
 * line at a time, each line bounded by CONF_LINE_MAX.  Settings land in a
 * small array (a later setting replaces an earlier one in place).  ${name}
 * expansion happens on lookup and is memoised per key, so each key is
 * expanded once whatever the shape of the references (no exponential
 * blow-up); the memo also detects loops (a key met again while it is being
 * expanded) and the nesting height of every key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/conf_int.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/scan.h"

#ifndef TERN_SYSCONF
#define TERN_SYSCONF "/etc/tern"
#endif

#define CONF_DEFAULT_LINE 0	/* "line" of a built-in default */
#define CONF_MSG_MAX	(PATH_MAX + 4 * LOG_ESC_MAX + 512)	/* one message */

/* Parser state for one load. */
struct parse {
	struct conf	*c;
	struct sbuf	*err;
	int		 nerr;
	int		 sys_errno;	/* not 0: an I/O or memory failure */
	/* The setting being continued. */
	enum { P_NONE, P_DISCARD, P_KEY } pend;
	struct sbuf	 pkey, pval;
	const char	*pfile;
	unsigned	 pline;
};

/* ------------------------------------------------------------------ */
/* Error messages. */

static void
err_add(struct sbuf *err, int *nerr, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void
conf_err_vadd(struct sbuf *err, int *nerr, const char *file, unsigned line,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

void
conf_err_vadd(struct sbuf *err, int *nerr, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	(*nerr)++;
	if (err == NULL || *nerr > CONF_ERRORS_MAX + 1)
		return;
	/* A full err buffer only loses messages: ignore E2BIG on purpose. */
	if (err->len > 0)
		(void)sbuf_cat_c(err, '\n');
	if (*nerr == CONF_ERRORS_MAX + 1) {
		(void)sbuf_printf(err, "%s:%u: too many errors", file, line);
		return;
	}
	(void)sbuf_printf(err, "%s:%u: ", file, line);
	(void)sbuf_vprintf(err, fmt, ap);
}

static void
err_add(struct sbuf *err, int *nerr, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_vadd(err, nerr, file, line, fmt, ap);
	va_end(ap);
}

static void
perr(struct parse *p, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
perr(struct parse *p, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_vadd(p->err, &p->nerr, file, line, fmt, ap);
	va_end(ap);
}

/* An untrusted string for a message: escaped, cut to LOG_ESC_MAX. */
static const char *
esc(const void *s, size_t n)
{
	return log_esc(s, n);
}

/* ------------------------------------------------------------------ */
/* Schema. */

static int
is_key_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '.' || ch == '-';
}

static int
is_service_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '-';
}

int
conf_is_service_name(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!is_service_byte((unsigned char)name[i]))
			return 0;
	return 1;
}

const struct conf_key *
conf_key_find(const char *key)
{
	const struct conf_key *k;
	const char *dot;
	size_t i;

	for (k = conf_keys; k->name != NULL; k++)
		if (k->name[0] != '*' && strcmp(k->name, key) == 0)
			return k;
	dot = strchr(key, '.');
	if (dot == NULL || dot == key)
		return NULL;
	for (i = 0; key + i < dot; i++)
		if (!is_service_byte((unsigned char)key[i]))
			return NULL;
	for (k = conf_keys; k->name != NULL; k++)
		if (k->name[0] == '*' && k->name[1] == '.' &&
		    strcmp(k->name + 1, dot) == 0)
			return k;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Hash index. */

static size_t
hash_s(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

typedef const char *(*keyat_fn)(const void *, size_t);

/* The record index holding key, or -1. */
static ssize_t
idx_find(const struct conf_idx *x, const char *key, keyat_fn keyat,
    const void *ctx)
{
	size_t h, i;

	if (x->cap == 0)
		return -1;
	for (h = hash_s(key) & (x->cap - 1); x->slot[h] != 0;
	    h = (h + 1) & (x->cap - 1)) {
		i = x->slot[h] - 1;
		if (strcmp(keyat(ctx, i), key) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static void
idx_put(struct conf_idx *x, const char *key, size_t i)
{
	size_t h;

	for (h = hash_s(key) & (x->cap - 1); x->slot[h] != 0;
	    h = (h + 1) & (x->cap - 1))
		;
	x->slot[h] = i + 1;
}

/* Record i (of n records, i == n - 1) was appended: index it. */
static int
idx_add(struct conf_idx *x, size_t n, keyat_fn keyat, const void *ctx)
{
	size_t ncap, j, *old = x->slot;

	if (n * 2 > x->cap) {
		ncap = x->cap ? x->cap * 2 : 64;
		if (ncap < x->cap) {
			errno = EOVERFLOW;
			return -1;
		}
		if ((x->slot = mem_alloc(ncap, sizeof *x->slot)) == NULL) {
			x->slot = old;
			return -1;
		}
		x->cap = ncap;
		free(old);
		for (j = 0; j + 1 < n; j++)
			idx_put(x, keyat(ctx, j), j);
	}
	idx_put(x, keyat(ctx, n - 1), n - 1);
	return 0;
}

static const char *
ent_key_at(const void *ctx, size_t i)
{
	return ((const struct conf *)ctx)->ent[i].key;
}

static const char *
memo_key_at(const void *ctx, size_t i)
{
	return ((const struct conf_cache *)ctx)->m[i].key;
}

/* ------------------------------------------------------------------ */
/* Settings. */

struct conf_ent *
conf_ent_find(const struct conf *c, const char *key)
{
	ssize_t i = idx_find(&c->entidx, key, ent_key_at, c);

	return i < 0 ? NULL : &c->ent[i];
}

static int
ent_set(struct conf *c, const char *key, const char *val, const char *file,
    unsigned line)
{
	struct conf_ent *e;
	char *v, *k;

	if ((v = mem_strdup(val)) == NULL)
		return -1;
	if ((e = conf_ent_find(c, key)) != NULL) {
		free(e->val);
		e->val = v;
		e->file = file;
		e->line = line;
		return 0;
	}
	if (c->nent == c->capent) {
		size_t ncap = c->capent ? c->capent * 2 : 32;
		struct conf_ent *ne = mem_realloc(c->ent, ncap, sizeof *ne);

		if (ne == NULL) {
			free(v);
			return -1;
		}
		c->ent = ne;
		c->capent = ncap;
	}
	if ((k = mem_strdup(key)) == NULL) {
		free(v);
		return -1;
	}
	e = &c->ent[c->nent++];
	e->key = k;
	e->val = v;
	e->file = file;
	e->line = line;
	if (idx_add(&c->entidx, c->nent, ent_key_at, c) < 0) {
		c->nent--;
		free(k);
		free(v);
		return -1;
	}
	return 0;
}

static void stamp_all(struct conf *);

static const char *
file_add(struct conf *c, const char *path)
{
	char **nf, *s;

	if ((s = mem_strdup(path)) == NULL)
		return NULL;
	nf = mem_realloc(c->files, c->nfiles + 1, sizeof *nf);
	if (nf == NULL) {
		free(s);
		return NULL;
	}
	c->files = nf;
	c->files[c->nfiles++] = s;
	return s;
}

/* ------------------------------------------------------------------ */
/* Parsing. */

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static int parse_buf(struct parse *, const char *, size_t, const char *,
    int);

/* Store the pending setting, if any. */
static void
pend_flush(struct parse *p)
{
	if (p->pend == P_KEY) {
		const char *k = sbuf_str(&p->pkey), *v = sbuf_str(&p->pval);

		if (k == NULL || v == NULL ||
		    ent_set(p->c, k, v, p->pfile, p->pline) < 0) {
			if (p->sys_errno == 0)
				p->sys_errno = errno ? errno : ENOMEM;
		}
	}
	p->pend = P_NONE;
	sbuf_reset(&p->pkey);
	sbuf_reset(&p->pval);
}

/* Read a regular file whole (at most CONF_FILE_MAX bytes). */
static int
read_file(const char *path, char **buf_r, size_t *len_r)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size > CONF_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	for (;;) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(buf);
			errno = e;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_FILE_MAX) {
			free(buf);
			errno = EFBIG;
			goto fail;
		}
	}
	(void)close(fd);	/* read-only: nothing to lose */
	*buf_r = buf;
	*len_r = len;
	return 0;
fail:
	e = errno;
	(void)close(fd);
	errno = e;
	return -1;
}

/* The folder part of path ("." when there is none), allocated. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return mem_strdup(".");
	if (slash == path)
		return mem_strdup("/");
	return mem_strndup(path, (size_t)(slash - path));
}

static void
parse_include(struct parse *p, const char *file, unsigned line,
    const char *arg, size_t n, int depth)
{
	struct sbuf path;
	char *dir = NULL, *buf = NULL;
	const char *ipath, *fname;
	size_t len;

	if (depth >= CONF_INCLUDE_MAX) {
		perr(p, file, line, "include nested more than %d deep",
		    CONF_INCLUDE_MAX);
		return;
	}
	sbuf_init(&path, PATH_MAX);
	if (arg[0] != '/') {
		if ((dir = dir_of(file)) == NULL ||
		    sbuf_cat_s(&path, dir) < 0 || sbuf_cat_c(&path, '/') < 0)
			goto toolong;
	}
	if (sbuf_cat_n(&path, arg, n) < 0 || (ipath = sbuf_str(&path)) == NULL)
		goto toolong;
	if (read_file(ipath, &buf, &len) < 0) {
		if (errno == ENOMEM)
			p->sys_errno = ENOMEM;
		perr(p, file, line, "include %s: %s", esc(ipath, path.len),
		    strerror(errno));
		goto done;
	}
	if ((fname = file_add(p->c, ipath)) == NULL) {
		p->sys_errno = ENOMEM;
		goto done;
	}
	(void)parse_buf(p, buf, len, fname, depth + 1);
	goto done;
toolong:
	if (errno == ENOMEM)
		p->sys_errno = ENOMEM;
	perr(p, file, line, "include: path too long");
done:
	free(buf);
	free(dir);
	sbuf_fini(&path);
}

/* A "key = value" line (s, n: without the line end, leading blanks gone). */
static void
parse_setting(struct parse *p, const char *file, unsigned line,
    const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t klen, i;
	const char *v;
	size_t vlen;

	p->pend = P_DISCARD;
	if (eq == NULL) {
		perr(p, file, line, "expected 'key = value': %s", esc(s, n));
		return;
	}
	klen = (size_t)(eq - s);
	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	if (klen == 0) {
		perr(p, file, line, "missing key before '='");
		return;
	}
	for (i = 0; i < klen; i++)
		if (!is_key_byte((unsigned char)s[i])) {
			perr(p, file, line, "invalid key '%s'", esc(s, klen));
			return;
		}
	if (klen > CONF_KEY_MAX) {
		perr(p, file, line, "key too long");
		return;
	}
	sbuf_reset(&p->pkey);
	if (sbuf_cat_n(&p->pkey, s, klen) < 0 || sbuf_str(&p->pkey) == NULL) {
		p->sys_errno = errno;
		return;
	}
	if (strcmp(p->pkey.s, "conf_dir") == 0) {
		perr(p, file, line, "conf_dir is built in and read-only");
		return;
	}
	if (conf_key_find(p->pkey.s) == NULL) {
		perr(p, file, line, "unknown key '%s'", esc(s, klen));
		return;
	}
	v = eq + 1;
	vlen = (size_t)(s + n - v);
	while (vlen > 0 && is_blank(v[0])) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_blank(v[vlen - 1]))
		vlen--;
	sbuf_reset(&p->pval);
	if (sbuf_cat_n(&p->pval, v, vlen) < 0) {
		p->sys_errno = errno;
		return;
	}
	p->pend = P_KEY;
	p->pfile = file;
	p->pline = line;
}

/* A continuation line (s, n: blanks trimmed on both sides, n > 0). */
static void
parse_continue(struct parse *p, const char *file, unsigned line,
    const char *s, size_t n)
{
	switch (p->pend) {
	case P_NONE:
		perr(p, file, line, "continuation line without a setting");
		p->pend = P_DISCARD;
		return;
	case P_DISCARD:
		return;
	case P_KEY:
		break;
	}
	if (p->pkey.len + 3 + p->pval.len + 1 + n > CONF_LINE_MAX) {
		perr(p, file, line, "line too long (more than %d bytes with "
		    "its continuation lines)", CONF_LINE_MAX);
		p->pend = P_DISCARD;
		return;
	}
	if ((p->pval.len > 0 && sbuf_cat_c(&p->pval, ' ') < 0) ||
	    sbuf_cat_n(&p->pval, s, n) < 0) {
		p->sys_errno = errno;
		p->pend = P_DISCARD;
	}
}

/* Check one physical line's bytes: 0 or -1 (error reported). */
static int
check_bytes(struct parse *p, const char *file, unsigned line, const char *s,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0') {
			perr(p, file, line, "NUL byte");
			return -1;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			perr(p, file, line, "control character \\x%02x", ch);
			return -1;
		}
	}
	return 0;
}

static void
parse_line(struct parse *p, const char *file, unsigned line, const char *s,
    size_t n, int depth)
{
	size_t lead = 0;

	if (check_bytes(p, file, line, s, n) < 0) {
		if (p->pend == P_KEY)
			p->pend = P_DISCARD;
		return;
	}
	while (lead < n && is_blank(s[lead]))
		lead++;
	if (lead == n || s[lead] == '#')
		return;		/* blank or comment: the setting goes on */
	if (lead > 0) {
		while (is_blank(s[n - 1]))
			n--;
		parse_continue(p, file, line, s + lead, n - lead);
		return;
	}
	pend_flush(p);
	if (n > 7 && memcmp(s, "include", 7) == 0 && is_blank(s[7])) {
		size_t a = 8;

		while (a < n && is_blank(s[a]))
			a++;
		if (a < n && s[a] != '=') {
			while (is_blank(s[n - 1]))
				n--;
			parse_include(p, file, line, s + a, n - a, depth);
			p->pend = P_NONE;
			return;
		}
	}
	parse_setting(p, file, line, s, n);
}

/* Parse one file's bytes; depth 0 is the main file. */
static int
parse_buf(struct parse *p, const char *buf, size_t len, const char *file,
    int depth)
{
	size_t off = 0, n, end;
	unsigned line = 0;
	const char *nl;

	while (off < len) {
		line++;
		nl = memchr(buf + off, '\n', len - off);
		end = nl ? (size_t)(nl - buf) : len;
		n = end - off;
		if (n > 0 && buf[off + n - 1] == '\r')
			n--;
		if (n > CONF_LINE_MAX) {
			perr(p, file, line, "line too long (more than %d "
			    "bytes)", CONF_LINE_MAX);
			if (p->pend == P_KEY)
				p->pend = P_DISCARD;
		} else
			parse_line(p, file, line, buf + off, n, depth);
		off = nl ? end + 1 : len;
		if (line == UINT_MAX)
			break;
	}
	/* A setting does not continue across files. */
	pend_flush(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading. */

static struct conf *
conf_new(const char *name)
{
	struct conf *c;
	char *d = NULL, *rd = NULL, cwd[PATH_MAX];
	struct sbuf abs;

	if ((c = mem_alloc(1, sizeof *c)) == NULL)
		return NULL;
	if ((c->cache = mem_alloc(1, sizeof *c->cache)) == NULL)
		goto fail;
	if ((c->main = (char *)file_add(c, name)) == NULL)
		goto fail;
	if ((d = dir_of(name)) == NULL)
		goto fail;
	if ((rd = realpath(d, NULL)) != NULL) {
		c->dir = rd;
		free(d);
		return c;
	}
	/* A folder that does not exist (conf_load_mem): lexically absolute. */
	if (d[0] == '/') {
		c->dir = d;
		return c;
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		goto fail;
	sbuf_init(&abs, PATH_MAX);
	if (sbuf_printf(&abs, "%s/%s", cwd, d) < 0 ||
	    sbuf_str(&abs) == NULL) {
		sbuf_fini(&abs);
		goto fail;
	}
	c->dir = abs.s;		/* take the buffer over */
	free(d);
	return c;
fail:
	free(d);
	conf_free(&c);
	errno = ENOMEM;
	return NULL;
}

static int
load_common(const char *buf, size_t len, const char *name,
    struct conf **conf_r, struct sbuf *err)
{
	struct parse p;
	struct conf *c;

	*conf_r = NULL;
	if ((c = conf_new(name)) == NULL)
		return -1;
	memset(&p, 0, sizeof p);
	p.c = c;
	p.err = err;
	p.pend = P_NONE;
	sbuf_init(&p.pkey, CONF_KEY_MAX + 1);
	sbuf_init(&p.pval, CONF_LINE_MAX + 1);
	(void)parse_buf(&p, buf, len, c->main, 0);
	sbuf_fini(&p.pkey);
	sbuf_fini(&p.pval);
	if (p.sys_errno != 0 || p.nerr > 0) {
		conf_free(&c);
		errno = p.sys_errno ? p.sys_errno : EINVAL;
		return -1;
	}
	stamp_all(c);
	*conf_r = c;
	return 0;
}

static void
stamp(const char *path, struct conf_stamp *t)
{
	struct stat st;

	memset(t, 0, sizeof *t);
	if (stat(path, &st) < 0) {
		t->missing = 1;
		return;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->mtime = st.st_mtim;
	t->ctime = st.st_ctim;
}

/*
 * Stamps taken just after reading: an edit during the read itself could
 * go unseen until the next one (or a SIGHUP).  Without memory for them,
 * conf_changed() says "changed" every time, the safe answer.
 */
static void
stamp_all(struct conf *c)
{
	size_t i;

	c->stamps = mem_alloc(c->nfiles ? c->nfiles : 1, sizeof *c->stamps);
	if (c->stamps == NULL)
		return;
	for (i = 0; i < c->nfiles; i++)
		stamp(c->files[i], &c->stamps[i]);
}

int
conf_changed(const struct conf *c)
{
	struct conf_stamp now;
	size_t i;

	if (c->stamps == NULL)
		return 1;
	for (i = 0; i < c->nfiles; i++) {
		stamp(c->files[i], &now);
		if (now.missing != c->stamps[i].missing ||
		    now.dev != c->stamps[i].dev ||
		    now.ino != c->stamps[i].ino ||
		    now.size != c->stamps[i].size ||
		    now.mtime.tv_sec != c->stamps[i].mtime.tv_sec ||
		    now.mtime.tv_nsec != c->stamps[i].mtime.tv_nsec ||
		    now.ctime.tv_sec != c->stamps[i].ctime.tv_sec ||
		    now.ctime.tv_nsec != c->stamps[i].ctime.tv_nsec)
			return 1;
	}
	return 0;
}

int
conf_load_mem(const void *buf, size_t len, const char *name,
    struct conf **conf_r, struct sbuf *err)
{
	if (len > CONF_FILE_MAX) {
		*conf_r = NULL;
		if (err != NULL) {
			int n = 0;

			err_add(err, &n, name, 0, "file too large");
		}
		errno = EINVAL;
		return -1;
	}
	return load_common(buf, len, name, conf_r, err);
}

int
conf_load(const char *path, struct conf **conf_r, struct sbuf *err)
{
	char *buf;
	size_t len;
	int r, e, n = 0;

	*conf_r = NULL;
	if (read_file(path, &buf, &len) < 0) {
		e = errno;
		err_add(err, &n, path, 0, "%s", strerror(e));
		/*
		 * Too large, or not a regular file: the admin's to fix, not
		 * a retry.  Otherwise (ENOENT, EACCES, EIO...) the system's.
		 */
		errno = (e == EFBIG || e == EISDIR) ? EINVAL : e;
		return -1;
	}
	r = load_common(buf, len, path, conf_r, err);
	e = errno;
	free(buf);
	errno = e;
	return r;
}

void
conf_free(struct conf **cp)
{
	struct conf *c = *cp;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nent; i++) {
		free(c->ent[i].key);
		free(c->ent[i].val);
	}
	free(c->ent);
	free(c->entidx.slot);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->stamps);
	free(c->dir);
	if (c->cache != NULL) {
		for (i = 0; i < c->cache->n; i++) {
			free(c->cache->m[i].key);
			free(c->cache->m[i].val);
			free(c->cache->m[i].why);
		}
		free(c->cache->m);
		free(c->cache->idx.slot);
		free(c->cache);
	}
	free(c);
	*cp = NULL;
}

const char *
conf_locate(const char *opt_c)
{
	static char buf[PATH_MAX];
	const char *home;
	int n;

	if (opt_c != NULL)
		return opt_c;
	home = getenv("TERN_HOME");
	if (home == NULL || home[0] == '\0')
		return TERN_SYSCONF "/tern.conf";
	n = snprintf(buf, sizeof buf, "%s/tern.conf", home);
	if (n < 0 || (size_t)n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

const char *
conf_dir(const struct conf *c)
{
	return c->dir;
}

/* ------------------------------------------------------------------ */
/* Expansion. */

static enum conf_xres expand_key(const struct conf *, const char *, int,
    size_t *);

static ssize_t
memo_get(const struct conf *c, const char *key)
{
	struct conf_cache *ca = c->cache;
	ssize_t i = idx_find(&ca->idx, key, memo_key_at, ca);

	if (i >= 0)
		return i;
	if (ca->n == ca->cap) {
		size_t ncap = ca->cap ? ca->cap * 2 : 32;
		struct conf_memo *nm = mem_realloc(ca->m, ncap, sizeof *nm);

		if (nm == NULL)
			return -1;
		ca->m = nm;
		ca->cap = ncap;
	}
	memset(&ca->m[ca->n], 0, sizeof ca->m[ca->n]);
	if ((ca->m[ca->n].key = mem_strdup(key)) == NULL)
		return -1;
	ca->m[ca->n].state = M_NONE;
	if (idx_add(&ca->idx, ca->n + 1, memo_key_at, ca) < 0) {
		free(ca->m[ca->n].key);
		return -1;
	}
	return (ssize_t)ca->n++;
}

int
conf_key_source(const struct conf *c, const char *key, struct conf_src *s)
{
	const struct conf_ent *e = conf_ent_find(c, key);
	const struct conf_key *k;

	if (e != NULL) {
		s->raw = e->val;
		s->file = e->file;
		s->line = e->line;
		return 0;
	}
	if ((k = conf_key_find(key)) == NULL || k->def == NULL)
		return -1;
	s->raw = k->def;
	s->file = c->main;
	s->line = CONF_DEFAULT_LINE;
	return 0;
}

/* Set memo i to an error "FILE:LINE: message". */
static enum conf_xres
memo_fail(const struct conf *c, size_t i, const struct conf_src *s,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum conf_xres
memo_fail(const struct conf *c, size_t i, const struct conf_src *s,
    const char *fmt, ...)
{
	struct conf_memo *m = &c->cache->m[i];
	struct sbuf b;
	va_list ap;

	sbuf_init(&b, CONF_MSG_MAX);
	va_start(ap, fmt);
	if (sbuf_printf(&b, "%s:%u: ", s->file, s->line) < 0 ||
	    sbuf_vprintf(&b, fmt, ap) < 0 || sbuf_str(&b) == NULL) {
		/* Keep the location: the message says where to look. */
		sbuf_reset(&b);
		if (sbuf_printf(&b, "%s:%u: %s", s->file, s->line,
		    errno == E2BIG ? "bad value" : "out of memory") < 0 ||
		    sbuf_str(&b) == NULL) {
			sbuf_fini(&b);
			b.s = NULL;
		}
	}
	va_end(ap);
	m->why = b.s;
	m->state = M_ERR;
	return XR_ERR;
}

/*
 * Expand memo i's raw value s->raw at nesting depth (the key's own depth).
 * Returns XR_OK (value and height stored), XR_ERR (why stored) or XR_ABORT
 * (too deep from this starting point; memo i left undecided).
 */
static enum conf_xres
expand_value(const struct conf *c, size_t i, const struct conf_src *s, int depth)
{
	struct sbuf out;
	const char *p = s->raw, *q, *close;
	unsigned height = 0;
	char name[CONF_KEY_MAX + 1];
	size_t ci, nlen;
	enum conf_xres r;

	sbuf_init(&out, CONF_VALUE_MAX);
	while ((q = strstr(p, "${")) != NULL) {
		if (sbuf_cat_n(&out, p, (size_t)(q - p)) < 0)
			goto toolong;
		if ((close = strchr(q + 2, '}')) == NULL) {
			sbuf_fini(&out);
			return memo_fail(c, i, s, "unterminated ${ in '%s'",
			    c->cache->m[i].key);
		}
		nlen = (size_t)(close - (q + 2));
		if (nlen == 0 || nlen > CONF_KEY_MAX) {
			sbuf_fini(&out);
			return memo_fail(c, i, s, "bad variable name in '%s'",
			    c->cache->m[i].key);
		}
		memcpy(name, q + 2, nlen);
		name[nlen] = '\0';
		if ((strcmp(name, "conf_dir") != 0 &&
		    conf_key_find(name) == NULL)) {
			sbuf_fini(&out);
			return memo_fail(c, i, s, "%s: unknown variable ${%s}",
			    c->cache->m[i].key, esc(name, nlen));
		}
		r = expand_key(c, name, depth + 1, &ci);
		switch (r) {
		case XR_OK:
			break;
		case XR_ABORT:
			sbuf_fini(&out);
			return XR_ABORT;
		case XR_LOOP:
			sbuf_fini(&out);
			return memo_fail(c, i, s, "%s: ${%s} loops back to "
			    "itself", c->cache->m[i].key, name);
		case XR_ERR:
			sbuf_fini(&out);
			c->cache->m[i].why = mem_strdup(c->cache->m[ci].why ?
			    c->cache->m[ci].why : "out of memory");
			c->cache->m[i].state = M_ERR;
			return XR_ERR;
		}
		if (c->cache->m[ci].height + 1 > height)
			height = c->cache->m[ci].height + 1;
		if (sbuf_cat_s(&out, c->cache->m[ci].val) < 0)
			goto toolong;
		p = close + 1;
	}
	if (sbuf_cat_s(&out, p) < 0 || sbuf_nul(&out) < 0)
		goto toolong;
	if (height > CONF_EXPAND_MAX) {
		sbuf_fini(&out);
		return memo_fail(c, i, s, "%s: ${} nested more than %d deep",
		    c->cache->m[i].key, CONF_EXPAND_MAX);
	}
	if (out.s == NULL && (out.s = mem_strdup("")) == NULL)
		goto toolong;
	c->cache->m[i].val = out.s;
	c->cache->m[i].height = height;
	c->cache->m[i].state = M_OK;
	return XR_OK;
toolong:
	sbuf_fini(&out);
	return memo_fail(c, i, s, "%s: value longer than %d bytes after "
	    "expansion", c->cache->m[i].key, CONF_VALUE_MAX);
}

/*
 * Expand a key; *i_r is its memo slot.  XR_LOOP: the key is being expanded
 * already (the caller reports the loop where the reference is).
 */
static enum conf_xres
expand_key(const struct conf *c, const char *key, int depth, size_t *i_r)
{
	struct conf_src s;
	ssize_t si;
	size_t i;
	enum conf_xres r;

	if ((si = memo_get(c, key)) < 0)
		return XR_ABORT;		/* out of memory: decided at the top */
	i = (size_t)si;
	*i_r = i;
	switch (c->cache->m[i].state) {
	case M_OK:
		return XR_OK;
	case M_ERR:
		return XR_ERR;
	case M_BUSY:
		return XR_LOOP;
	case M_NONE:
		break;
	}
	if (depth > CONF_EXPAND_MAX)
		return XR_ABORT;
	if (strcmp(key, "conf_dir") == 0) {
		if ((c->cache->m[i].val = mem_strdup(c->dir)) == NULL)
			return XR_ABORT;
		c->cache->m[i].state = M_OK;
		return XR_OK;
	}
	if (conf_key_source(c, key, &s) < 0) {
		s.raw = "";
		s.file = c->main;
		s.line = CONF_DEFAULT_LINE;
		return memo_fail(c, i, &s, "no value for '%s'", esc(key,
		    strlen(key)));
	}
	c->cache->m[i].state = M_BUSY;
	r = expand_value(c, i, &s, depth);
	if (r == XR_ABORT) {
		c->cache->m[i].state = M_NONE;
		if (depth == 0)
			return memo_fail(c, i, &s, "%s: ${} nested more than "
			    "%d deep (or out of memory)", key,
			    CONF_EXPAND_MAX);
	}
	return r;
}

enum conf_xres
conf_expand(const struct conf *c, const char *key, size_t *i_r)
{
	return expand_key(c, key, 0, i_r);
}

/* The memo slot of a key's expansion, or -1 (errno EINVAL / ENOMEM). */
static ssize_t
lookup(const struct conf *c, const char *key)
{
	size_t i;

	if (strcmp(key, "conf_dir") != 0 && conf_key_find(key) == NULL)
		panic("conf: lookup of undeclared key '%s'", log_esc_s(key));
	if (expand_key(c, key, 0, &i) != XR_OK) {
		errno = EINVAL;
		return -1;
	}
	return (ssize_t)i;
}

/* ------------------------------------------------------------------ */
/* Lookups. */

int
conf_hostname(const struct conf *c, char *out, size_t size)
{
	const char *h = conf_str(c, "hostname");

	if (size < 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (h != NULL && h[0] != '\0') {
		if (strlen(h) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(out, h, strlen(h) + 1);
		return 0;
	}
	out[size - 1] = '\0';
	if (gethostname(out, size - 1) < 0)
		return -1;
	if (out[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

const char *
conf_str(const struct conf *c, const char *key)
{
	ssize_t i = lookup(c, key);

	return i < 0 ? NULL : c->cache->m[i].val;
}

int
conf_uint(const struct conf *c, const char *key, uint64_t *r)
{
	const char *v = conf_str(c, key);

	return v == NULL ? -1 : scan_u64_s(v, r);
}

int
conf_bool(const struct conf *c, const char *key, int *r)
{
	const char *v = conf_str(c, key);

	return v == NULL ? -1 : scan_bool_s(v, r);
}

int
conf_duration(const struct conf *c, const char *key, uint64_t *r)
{
	const char *v = conf_str(c, key);

	return v == NULL ? -1 : scan_duration_s(v, r);
}

int
conf_size(const struct conf *c, const char *key, uint64_t *r)
{
	const char *v = conf_str(c, key);

	return v == NULL ? -1 : scan_size_s(v, r);
}

const char *
conf_path(const struct conf *c, const char *key)
{
	const char *v = conf_str(c, key);

	if (v != NULL && v[0] != '/') {
		errno = EINVAL;
		return NULL;
	}
	return v;
}

static int
is_list_sep(int ch)
{
	return ch == ' ' || ch == '\t' || ch == ',';
}

/* Split s into one allocation: n + 1 pointers, then the words. */
int
conf_split_words(const char *s, char ***words_r, size_t *n_r)
{
	size_t n = 0, len = strlen(s), i, k;
	char **w, *text;
	int in = 0;

	for (i = 0; i < len; i++) {
		if (!is_list_sep((unsigned char)s[i]) && !in)
			n++;
		in = !is_list_sep((unsigned char)s[i]);
	}
	if (n >= (SIZE_MAX - len - 1) / sizeof(char *) - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	w = malloc((n + 1) * sizeof(char *) + len + 1);
	if (w == NULL) {
		errno = ENOMEM;
		return -1;
	}
	text = (char *)(w + n + 1);
	memcpy(text, s, len + 1);
	for (i = 0, k = 0, in = 0; i < len; i++) {
		if (is_list_sep((unsigned char)text[i])) {
			text[i] = '\0';
			in = 0;
		} else if (!in) {
			w[k++] = text + i;
			in = 1;
		}
	}
	w[k] = NULL;
	*words_r = w;
	*n_r = n;
	return 0;
}

int
conf_list(const struct conf *c, const char *key, char ***words_r,
    size_t *n_r)
{
	const char *v = conf_str(c, key);

	if (v == NULL)
		return -1;
	return conf_split_words(v, words_r, n_r);
}

int
conf_is_set(const struct conf *c, const char *key)
{
	return conf_ent_find(c, key) != NULL;
}

int
conf_services(const struct conf *c, char ***names_r, size_t *n_r)
{
	return conf_list(c, "services", names_r, n_r);
}

