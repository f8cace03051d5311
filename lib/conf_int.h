/*
 * conf_int.h - what conf.c and conf_check.c share; not for other modules.
 *
 * conf.c reads files and expands values; conf_check.c validates and dumps.
 * A struct conf is private to these two files: programs use conf.h.
 */
#ifndef TERN_CONF_INT_H
#define TERN_CONF_INT_H

#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>

#include "lib/conf.h"
#include "lib/sbuf.h"

#define CONF_KEY_MAX	256	/* longest key name */

struct conf_ent {
	char		*key;
	char		*val;		/* as written, before expansion */
	const char	*file;		/* one of conf->files */
	unsigned	 line;
};

enum memo_state { M_NONE, M_BUSY, M_OK, M_ERR };

struct conf_memo {
	char		*key;
	enum memo_state	 state;
	char		*val;		/* expanded (M_OK) */
	char		*why;		/* "FILE:LINE: message" (M_ERR) */
	unsigned	 height;	/* nesting of ${} below this key */
};

/*
 * A hash index over an array of keyed records: slots hold index + 1 (0 is
 * empty), open addressing, at most half full.  Keeps lookups O(1) so a
 * large file (CONF_FILE_MAX of distinct keys) loads in linear time.
 */
struct conf_idx {
	size_t		*slot;
	size_t		 cap;		/* a power of two, or 0 */
};

struct conf_cache {
	struct conf_memo *m;
	size_t		 n, cap;
	struct conf_idx	 idx;
};

/* What conf_changed() compares: a file's identity and last change. */
struct conf_stamp {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime, ctime;
	int		 missing;
};

struct conf {
	struct conf_ent	*ent;
	size_t		 nent, capent;
	struct conf_idx	 entidx;
	char		**files;	/* every file name read, owned */
	size_t		 nfiles;
	struct conf_stamp *stamps;	/* files[i] as found after reading */
	char		*main;		/* == files[0] */
	char		*dir;		/* absolute folder of the main file */
	struct conf_cache *cache;	/* mutable even through const */
};

/* Where a key's raw value comes from: a file line, or the default. */
struct conf_src {
	const char	*raw;
	const char	*file;
	unsigned	 line;
};

enum conf_xres { XR_OK, XR_ERR, XR_ABORT, XR_LOOP };

/* Append "FILE:LINE: message" to err (may be NULL), counting in *nerr. */
void	conf_err_vadd(struct sbuf *err, int *nerr, const char *file,
	    unsigned line, const char *fmt, va_list ap)
	    __attribute__((format(printf, 5, 0)));
/* The setting of key in the files, or NULL. */
struct conf_ent *conf_ent_find(const struct conf *, const char *key);
/* Where key's raw value comes from (file line or default): 0 or -1. */
int	conf_key_source(const struct conf *, const char *key,
	    struct conf_src *);
/* Expand key; *i_r is its memo slot (value or why) in c->cache. */
enum conf_xres conf_expand(const struct conf *, const char *key, size_t *i_r);
/* Split at blanks and commas into one allocation (see conf_list). */
int	conf_split_words(const char *s, char ***words_r, size_t *n_r);

#endif
