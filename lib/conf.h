/*
 * conf.h - tern.conf: "key = value" lines, read once, looked up by name.
 *
 * Syntax: one "key = value" per line; '#' starts a comment at the start of
 * a line (after blanks); blank lines ignored; a line starting with blanks
 * continues the previous value (joined with one space); "include FILE"
 * (relative to the including file's folder, depth-limited) reads another
 * file; a later setting of a key overrides an earlier one.  Values may
 * refer to other keys as ${name}, expanded on lookup (depth-limited, loops
 * are an error).  Keys are [a-z0-9_.]+.
 *
 * Every key tern knows is declared in one schema table (conf_keys.c) with
 * its type, default and a one-line description; an unknown key or a value
 * of the wrong type is an error naming file:line.  Service keys have the
 * form "<service>.<attr>" and are declared once as "*.<attr>".
 *
 * Where the file is: conf_locate() gives -c FILE if given, else
 * $TERN_HOME/tern.conf when TERN_HOME is set, else TERN_SYSCONF/tern.conf.
 *
 * Return convention: 0 / -1; on a load error the message (with file:line)
 * is written into err.  Lookups of a declared key always succeed (they fall
 * back to the default); a lookup of an undeclared key is a panic (a bug).
 */
#ifndef TERN_CONF_H
#define TERN_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/sbuf.h"

#define CONF_LINE_MAX	4096	/* longest line, continuation included */
#define CONF_INCLUDE_MAX 8	/* nesting depth of include */
#define CONF_EXPAND_MAX	16	/* nesting depth of ${name} */

enum conf_type {
	CONF_STR,		/* any text */
	CONF_UINT,		/* scan_u64 */
	CONF_BOOL,		/* yes/no */
	CONF_DURATION,		/* seconds, with s/m/h/d/w */
	CONF_SIZE,		/* bytes, with k/M/G/T */
	CONF_LIST,		/* words separated by blanks or commas */
	CONF_PATH,		/* absolute path after expansion */
};

struct conf;

const char *conf_locate(const char *opt_c);
int	conf_load(const char *path, struct conf **conf_r, struct sbuf *err);
void	conf_free(struct conf **);
/* Re-check every key after expansion (types, absolute paths): tern-conf. */
int	conf_validate(const struct conf *, struct sbuf *err);
/* The folder that holds tern.conf (and, by default, the maps). */
const char *conf_dir(const struct conf *);

/* Effective value after ${} expansion; NULL only if unset with no default. */
const char *conf_str(const struct conf *, const char *key);
int	conf_uint(const struct conf *, const char *key, uint64_t *r);
int	conf_bool(const struct conf *, const char *key, int *r);
int	conf_duration(const struct conf *, const char *key, uint64_t *r);
int	conf_size(const struct conf *, const char *key, uint64_t *r);
/*
 * Split a list value into words.  *words_r is one allocation (free it with
 * free()); *n_r is the count.
 */
int	conf_list(const struct conf *, const char *key, char ***words_r,
	    size_t *n_r);
/* Was the key set in a file (not only defaulted)? */
int	conf_is_set(const struct conf *, const char *key);
/* Names of the services with at least one "<name>.*" key, or in "services". */
int	conf_services(const struct conf *, char ***names_r, size_t *n_r);

/* Print every declared key with its effective value (tern-conf). */
int	conf_dump(const struct conf *, FILE *, int only_set);

#endif
