/*
 * mstore_list.c - LIST, LSUB, LIST-EXTENDED, subscriptions, first-login
 * folders and the special-use attributes CREATE gives (lib/mstore.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

/* Internal entry flags besides the public attributes. */
#define ENT_SELECT	0x10000		/* has cur/ */
#define ENT_DIR		0x20000		/* directory exists */
#define ENT_SUBS	0x40000		/* in subscriptions */
#define ENT_SUBCHILD	0x80000		/* has a subscribed descendant */

/* A folder's own special-use attributes (CREATE ... USE, RFC 6154 3):
 * one line of attribute names in the folder's directory. */
#define MSTORE_SPECIAL_FILE	"tern-special-use"
#define MSTORE_SPECIAL_MAX	256	/* bytes read from it */

static const struct {
	const char	*attr;
	const char	*name;		/* the default folder that has it */
	unsigned	 f;
} su_table[] = {
	{ "\\Drafts", "Drafts", MSTORE_DRAFTS },
	{ "\\Sent", "Sent", MSTORE_SENT },
	{ "\\Trash", "Trash", MSTORE_TRASH },
	{ "\\Junk", "Junk", MSTORE_JUNK },
	{ "\\Archive", "Archive", MSTORE_ARCHIVE },
};

struct ent {
	char		*name;
	unsigned	 f;
};

struct entlist {
	struct ent	*v;
	size_t		 n;
	size_t		 cap;
};

static void
entlist_free(struct entlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		mem_free(&l->v[i].name);
	mem_free(&l->v);
	l->n = l->cap = 0;
}

static int
entlist_add(struct entlist *l, const char *name, size_t n, unsigned f)
{
	struct ent *nv;

	if (l->n >= MSTORE_FOLDERS_MAX * 4) {
		errno = E2BIG;
		return -1;
	}
	if (l->n == l->cap) {
		if ((nv = mem_realloc(l->v, l->cap ? l->cap * 2 : 32,
		    sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = l->cap ? l->cap * 2 : 32;
	}
	if ((l->v[l->n].name = mem_strndup(name, n)) == NULL)
		return -1;
	l->v[l->n++].f = f;
	return 0;
}

/* Add name and its parents (the parents flagged HASCHILDREN). */
static int
entlist_add_tree(struct entlist *l, const char *name, int sep, unsigned f,
    unsigned parentf)
{
	const char *s;

	if (entlist_add(l, name, strlen(name), f) == -1)
		return -1;
	for (s = strchr(name, sep); s != NULL; s = strchr(s + 1, sep))
		if (entlist_add(l, name, (size_t)(s - name),
		    MSTORE_HASCHILDREN | parentf) == -1)
			return -1;
	return 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int xi = strcmp(x->name, "INBOX") == 0;
	int yi = strcmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return yi - xi;
	return strcmp(x->name, y->name);
}

/* Sort and merge duplicates (flags or'ed). */
static void
entlist_uniq(struct entlist *l)
{
	size_t i, o = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), ent_cmp);
	for (i = 1; i < l->n; i++) {
		if (strcmp(l->v[i].name, l->v[o].name) == 0) {
			l->v[o].f |= l->v[i].f;
			mem_free(&l->v[i].name);
		} else
			l->v[++o] = l->v[i];
	}
	l->n = o + 1;
}

static struct ent *
entlist_find(const struct entlist *l, const char *name)
{
	struct ent key;

	if (l->n == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, l->v, l->n, sizeof(*l->v), ent_cmp);
}

/* Directory name ".A.B" -> wire name if it is a valid folder's. */
static int
dir_to_name(const struct mstore *ms, const char *dname, struct sbuf *name)
{
	struct sbuf dir;
	const char *p;
	int rc;

	sbuf_reset(name);
	for (p = dname + 1; *p != '\0'; p++)
		if (sbuf_cat_c(name, *p == '.' ? ms->sep : *p) == -1)
			return -1;
	if (sbuf_nul(name) == -1)
		return -1;
	sbuf_init(&dir, MSTORE_NAME_MAX);
	rc = mstore_name_check(ms, name->s, name, &dir);
	if (rc == 0 && strcmp(dir.s, dname) != 0)
		rc = -1;
	sbuf_fini(&dir);
	return rc;
}

/* The attributes in dirfd's MSTORE_SPECIAL_FILE (unknown words are
 * skipped; a missing or unreadable file gives none). */
static unsigned
read_special(int dirfd)
{
	struct sbuf file;
	const char *p, *e, *end;
	unsigned f = 0;
	size_t i;
	int fd;

	if ((fd = openat(dirfd, MSTORE_SPECIAL_FILE,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	sbuf_init(&file, MSTORE_SPECIAL_MAX);
	if (io_read_fd(fd, &file, MSTORE_SPECIAL_MAX) == -1)
		sbuf_reset(&file);
	(void)close(fd);
	end = file.s + file.len;
	for (p = file.s; p != NULL && p < end; p = e + 1) {
		for (e = p; e < end && *e != ' ' && *e != '\n'; e++)
			;
		for (i = 0; i < sizeof(su_table) / sizeof(su_table[0]); i++)
			if ((size_t)(e - p) == strlen(su_table[i].attr) &&
			    strncasecmp(p, su_table[i].attr,
			    (size_t)(e - p)) == 0)
				f |= su_table[i].f;
	}
	sbuf_fini(&file);
	return f;
}

/* Every folder on disk (and INBOX), with parents. */
static int
read_folders(const struct mstore *ms, struct entlist *l)
{
	struct dirent *de;
	struct stat st;
	struct sbuf name;
	DIR *d;
	size_t count = 0;
	unsigned f;
	int fd, sub, rc = 0;

	if (entlist_add(l, "INBOX", 5, ENT_SELECT | ENT_DIR) == -1)
		return -1;
	if ((fd = fcntl(ms->rootfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	sbuf_init(&name, MSTORE_NAME_MAX);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || de->d_name[1] == '.' ||
		    de->d_name[1] == '\0')
			continue;
		if (++count > MSTORE_FOLDERS_MAX) {
			errno = E2BIG;
			rc = -1;
			break;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(ms->rootfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (dir_to_name(ms, de->d_name, &name) == -1)
			continue;
		f = ENT_DIR;
		if ((sub = maildir_open_sub(ms->rootfd, de->d_name)) != -1) {
			if (mstore_has_cur(sub) == 1)
				f |= ENT_SELECT | read_special(sub);
			(void)close(sub);
		}
		rc = entlist_add_tree(l, name.s, ms->sep, f, 0);
	}
	sbuf_fini(&name);
	(void)closedir(d);
	if (rc == 0)
		entlist_uniq(l);
	return rc;
}

/* ---- subscriptions ---- */

static int
read_subs(const struct mstore *ms, struct entlist *l)
{
	struct sbuf file, name;
	const char *p, *e, *end;
	int fd, rc = 0, v2 = 0;
	size_t i;

	sbuf_init(&file, MSTORE_SUBS_MAX);
	if ((fd = openat(ms->rootfd, MSTORE_SUBS,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sbuf_fini(&file);
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	}
	rc = io_read_fd(fd, &file, MSTORE_SUBS_MAX);
	(void)close(fd);
	if (rc == -1) {
		sbuf_fini(&file);
		return -1;
	}
	sbuf_init(&name, MSTORE_NAME_MAX);
	p = file.s;
	end = file.s + file.len;
	if (file.len >= 4 && memcmp(p, "V\t2\n", 4) == 0) {
		v2 = 1;
		p += 4;
	}
	for (; p < end && rc == 0; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e == p)
			continue;
		sbuf_reset(&name);
		for (i = 0; i < (size_t)(e - p); i++)
			if (sbuf_cat_c(&name, v2 && p[i] == '\t' ? ms->sep :
			    p[i]) == -1)
				break;
		if (i < (size_t)(e - p) || sbuf_nul(&name) == -1 ||
		    memchr(name.s, '\0', name.len) != NULL)
			continue;
		if (mstore_name_check(ms, name.s, &name, NULL) == -1)
			continue;	/* junk lines are skipped */
		rc = entlist_add(l, name.s, name.len, ENT_SUBS);
	}
	sbuf_fini(&name);
	sbuf_fini(&file);
	if (rc == 0)
		entlist_uniq(l);
	return rc;
}

static int
write_subs(const struct mstore *ms, const struct entlist *l)
{
	struct sbuf out;
	size_t i;
	int rc = 0;

	sbuf_init(&out, MSTORE_SUBS_MAX);
	for (i = 0; i < l->n && rc == 0; i++)
		if (sbuf_cat_s(&out, l->v[i].name) == -1 ||
		    sbuf_cat_c(&out, '\n') == -1)
			rc = -1;
	if (rc == 0)
		rc = mstore_write_at(ms->rootfd, MSTORE_SUBS, out.s ? out.s :
		    "", out.len);
	sbuf_fini(&out);
	return rc;
}

int
mstore_subscribe(struct mstore *ms, const char *name, int on)
{
	struct entlist l = { NULL, 0, 0 };
	struct sbuf c;
	struct ent *e;
	int rc = -1;

	sbuf_init(&c, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, name, &c, NULL) == -1 ||
	    read_subs(ms, &l) == -1)
		goto out;
	e = entlist_find(&l, c.s);
	if (on && e != NULL) {
		rc = 0;
		goto out;
	}
	if (!on && e == NULL) {
		errno = ENOENT;
		goto out;
	}
	if (on) {
		if (entlist_add(&l, c.s, c.len, ENT_SUBS) == -1)
			goto out;
		entlist_uniq(&l);
	} else {
		mem_free(&e->name);
		memmove(e, e + 1, (size_t)(l.v + l.n - (e + 1)) * sizeof(*e));
		l.n--;
	}
	rc = write_subs(ms, &l);
out:
	on = errno;
	entlist_free(&l);
	sbuf_fini(&c);
	errno = on;
	return rc;
}

int
mstore_special_use_init(struct mstore *ms)
{
	static const char *const names[] = {
		"Drafts", "Sent", "Trash", "Junk", "Archive"
	};
	struct entlist l = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	if (faccessat(ms->rootfd, MSTORE_SUBS, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* One fsync per folder and one of the root for the five (each
	 * CREATE alone costs three): the subscriptions file, written
	 * last, says they are all there. */
	for (i = 0; i < 5 && rc == 0; i++)
		if (mstore_create_sync(ms, names[i], 0) == -1 &&
		    errno != EEXIST)
			rc = -1;
	if (rc == 0)
		rc = fsync(ms->rootfd);
	if (rc == 0)
		rc = entlist_add(&l, "INBOX", 5, ENT_SUBS);
	for (i = 0; i < 5 && rc == 0; i++)
		rc = entlist_add(&l, names[i], strlen(names[i]), ENT_SUBS);
	if (rc == 0) {
		entlist_uniq(&l);
		rc = write_subs(ms, &l);
	}
	entlist_free(&l);
	return rc;
}

/* ---- matching ---- */

/* '*' anything, '%' anything but sep; dynamic programming, no recursion. */
static int
match(const char *pat, const char *s, int sep)
{
	size_t sl = strlen(s), j;
	unsigned char *cur, *nxt, *t;
	int r;

	if ((cur = mem_alloc(sl + 1, 2)) == NULL)
		return -1;
	nxt = cur + sl + 1;
	cur[0] = 1;
	for (; *pat != '\0'; pat++) {
		if (*pat == '*' && pat[1] == '*')
			continue;
		if (*pat == '*') {
			nxt[0] = cur[0];
			for (j = 1; j <= sl; j++)
				nxt[j] = nxt[j - 1] || cur[j];
		} else if (*pat == '%') {
			nxt[0] = cur[0];
			for (j = 1; j <= sl; j++)
				nxt[j] = cur[j] ||
				    (nxt[j - 1] && s[j - 1] != sep);
		} else {
			nxt[0] = 0;
			for (j = 1; j <= sl; j++)
				nxt[j] = cur[j - 1] && s[j - 1] == *pat;
		}
		t = cur;
		cur = nxt;
		nxt = t;
	}
	r = cur[sl];
	mem_free(cur < nxt ? &cur : &nxt);
	return r;
}

static unsigned
special_use(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(su_table) / sizeof(su_table[0]); i++)
		if (strcmp(name, su_table[i].name) == 0)
			return su_table[i].f;
	return 0;
}

static unsigned
attrs_of(const struct entlist *folders, const char *name, unsigned f)
{
	/* f: ENT_SUBS, and MSTORE_HASCHILDREN from the subscribed tree. */
	const struct ent *e = entlist_find(folders, name);
	unsigned a = 0;

	if (e != NULL)
		f |= e->f;
	if (!(f & ENT_SELECT))
		a |= MSTORE_NOSELECT | (f & ENT_DIR ? 0 : MSTORE_NONEXISTENT);
	else
		a |= special_use(name) | (f & MSTORE_SPECIAL_USE);
	a |= f & MSTORE_HASCHILDREN ? MSTORE_HASCHILDREN :
	    MSTORE_HASNOCHILDREN;
	if (f & ENT_SUBS)
		a |= MSTORE_SUBSCRIBED;
	return a;
}

int
mstore_attrs(struct mstore *ms, const char *name, unsigned *attrs_r)
{
	struct entlist folders = { NULL, 0, 0 }, subs = { NULL, 0, 0 };
	struct sbuf c;
	int rc = -1;

	sbuf_init(&c, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, name, &c, NULL) == 0 &&
	    read_folders(ms, &folders) == 0 && read_subs(ms, &subs) == 0) {
		*attrs_r = attrs_of(&folders, c.s,
		    entlist_find(&subs, c.s) ? ENT_SUBS : 0);
		rc = 0;
	}
	entlist_free(&folders);
	entlist_free(&subs);
	sbuf_fini(&c);
	return rc;
}

/* ref + pattern, with a leading INBOX (any case) made "INBOX". */
static int
full_pattern(const struct mstore *ms, const char *ref, const char *pattern,
    struct sbuf *out)
{
	if (sbuf_cat_s(out, ref) == -1 || sbuf_cat_s(out, pattern) == -1 ||
	    sbuf_nul(out) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (out->len >= 5 && strncasecmp(out->s, "INBOX", 5) == 0 &&
	    (out->s[5] == '\0' || out->s[5] == ms->sep))
		memcpy(out->s, "INBOX", 5);
	return 0;
}

/* Does name match any of the n patterns (NULL ones skipped)? */
static int
match_any(const struct sbuf *pats, size_t n, const char *name, int sep)
{
	size_t i;
	int m;

	for (i = 0; i < n; i++) {
		if (pats[i].s == NULL || pats[i].len == 0)
			continue;
		if ((m = match(pats[i].s, name, sep)) != 0)
			return m;	/* 1, or -1 on error */
	}
	return 0;
}

/* The names a LIST walks: every folder, or the subscribed ones (with
 * their parents for LSUB and RECURSIVEMATCH). */
static int
list_set(const struct mstore *ms, unsigned flags, const struct entlist *subs,
    struct entlist *tree)
{
	size_t i;
	unsigned pf = flags & MSTORE_LIST_SUBSCRIBED ? 0 : ENT_SUBCHILD;

	for (i = 0; i < subs->n; i++) {
		if ((flags & MSTORE_LIST_SUBSCRIBED_ONLY) &&
		    !(flags & MSTORE_LIST_RECURSIVE)) {
			if (entlist_add(tree, subs->v[i].name,
			    strlen(subs->v[i].name), ENT_SUBS) == -1)
				return -1;
		} else if (entlist_add_tree(tree, subs->v[i].name, ms->sep,
		    ENT_SUBS, pf) == -1)
			return -1;
	}
	entlist_uniq(tree);
	return 0;
}

/* One entry of the walk: its attributes, or 0 to skip it. */
static unsigned
list_attrs(const struct entlist *folders, const struct entlist *subs,
    const struct ent *e, unsigned flags)
{
	unsigned a, f = 0;
	int is_sub = entlist_find(subs, e->name) != NULL;

	if (flags & MSTORE_LIST_SUBSCRIBED)
		f = e->f & MSTORE_HASCHILDREN;	/* LSUB: the subscribed tree */
	a = attrs_of(folders, e->name, f | (is_sub ? ENT_SUBS : 0));
	if ((flags & MSTORE_LIST_RECURSIVE) && (e->f & ENT_SUBCHILD))
		a |= MSTORE_CHILD_SUBSCRIBED;
	if ((flags & MSTORE_LIST_SUBSCRIBED_ONLY) && !is_sub &&
	    !(a & MSTORE_CHILD_SUBSCRIBED))
		return 0;
	if ((flags & MSTORE_LIST_SPECIAL_ONLY) && !(a & MSTORE_SPECIAL_USE))
		return 0;
	return a;
}

int
mstore_list_multi(struct mstore *ms, const char *ref,
    const char *const *patterns, size_t npat, unsigned flags,
    mstore_list_cb *cb, void *arg)
{
	struct entlist folders = { NULL, 0, 0 }, subs = { NULL, 0, 0 };
	struct entlist tree = { NULL, 0, 0 };
	const struct entlist *set;
	struct sbuf pats[MSTORE_LIST_PATTERNS];
	size_t i, usable = 0;
	unsigned a;
	int rc = -1, m, e;

	if (npat > MSTORE_LIST_PATTERNS) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < npat; i++) {
		sbuf_init(&pats[i], MSTORE_PATTERN_MAX);
		/* An empty or too long pattern matches nothing. */
		if (*patterns[i] == '\0' ||
		    full_pattern(ms, ref, patterns[i], &pats[i]) == -1)
			sbuf_reset(&pats[i]);
		else
			usable++;
	}
	if (usable == 0) {
		rc = 0;
		errno = 0;
		goto out;
	}
	if (read_folders(ms, &folders) == -1 || read_subs(ms, &subs) == -1)
		goto out;
	set = &folders;
	/* RECURSIVEMATCH without SUBSCRIBED (with SPECIAL-USE) has no
	 * child info to give: every folder is walked. */
	if (flags & (MSTORE_LIST_SUBSCRIBED | MSTORE_LIST_SUBSCRIBED_ONLY)) {
		if (list_set(ms, flags, &subs, &tree) == -1)
			goto out;
		set = &tree;
	}
	rc = 0;
	for (i = 0; i < set->n && rc == 0; i++) {
		if ((m = match_any(pats, npat, set->v[i].name, ms->sep)) == -1) {
			rc = -1;
			break;
		}
		if (m && (a = list_attrs(&folders, &subs, &set->v[i],
		    flags)) != 0)
			rc = cb(arg, set->v[i].name, a);
	}
out:
	e = errno;
	for (i = 0; i < npat; i++)
		sbuf_fini(&pats[i]);
	entlist_free(&folders);
	entlist_free(&subs);
	entlist_free(&tree);
	errno = e;
	return rc;
}

int
mstore_list(struct mstore *ms, const char *ref, const char *pattern,
    unsigned flags, mstore_list_cb *cb, void *arg)
{
	return mstore_list_multi(ms, ref, &pattern, 1, flags, cb, arg);
}

/* ---- CREATE with special-use attributes (RFC 6154 3) ---- */

int
mstore_create_special(struct mstore *ms, const char *name, unsigned use)
{
	struct sbuf d, line;
	size_t i;
	int fd, rc = -1, e;

	if (use & ~MSTORE_SPECIAL_USE) {
		errno = EINVAL;
		return -1;
	}
	if (mstore_create(ms, name) == -1)
		return -1;
	if (use == 0)
		return 0;
	sbuf_init(&d, MSTORE_NAME_MAX);
	sbuf_init(&line, MSTORE_SPECIAL_MAX);
	if (mstore_name_check(ms, name, NULL, &d) == -1)
		goto out;
	for (i = 0; i < sizeof(su_table) / sizeof(su_table[0]); i++)
		if ((use & su_table[i].f) && (sbuf_cat_s(&line,
		    su_table[i].attr) == -1 || sbuf_cat_c(&line, ' ') == -1))
			goto out;
	line.s[line.len - 1] = '\n';
	if ((fd = mstore_open_dir(ms, d.s)) == -1)
		goto out;
	rc = mstore_write_at(fd, MSTORE_SPECIAL_FILE, line.s, line.len);
	e = errno;
	(void)close(fd);
	errno = e;
out:
	/* RFC 6154 3: no special use, no mailbox (best effort). */
	if (rc == -1) {
		e = errno;
		(void)mstore_delete(ms, name);
		errno = e;
	}
	e = errno;
	sbuf_fini(&d);
	sbuf_fini(&line);
	errno = e;
	return rc;
}
