/*
 * conf.h - tern.conf: "key = value" lines, read once, looked up by name.
 *
 * Syntax: one "key = value" per line; '#' starts a comment at the start of
 * a line (after blanks); blank lines ignored; a line starting with blanks
 * continues the previous value (joined with one space; blank and comment
 * lines in between are skipped); "include FILE" (relative to the including
 * file's folder, depth-limited, regular files only) reads another file; a
 * later setting of a key overrides an earlier one.  CRLF line ends are
 * accepted.  Values may refer to other keys as ${name}, expanded on lookup
 * (depth-limited, loops are an error); a '$' not followed by '{' is kept
 * as is.  ${conf_dir} is built in and read-only: the absolute folder of the
 * main tern.conf.  Keys are [a-z0-9_.-]+; a NUL or control byte anywhere,
 * or any other byte in a key, is an error.
 *
 * Every key tern knows is declared in one schema table (conf_keys.c) with
 * its type, default and a one-line description; an unknown key is an error
 * naming file:line (conf_load), a value of the wrong type after expansion
 * is one too (conf_validate).  Service keys have the form
 * "<service>.<attr>" with a service name [a-z0-9_-]+, and are declared
 * once as "*.<attr>".  A service is run by tern-supervise only when it is
 * named in "services"; "<name>.*" keys of other services are allowed
 * (defined but not run).
 *
 * Where the file is: conf_locate() gives -c FILE if given, else
 * $TERN_HOME/tern.conf when TERN_HOME is set, else TERN_SYSCONF/tern.conf.
 * Programs call conf_read() (locate + load + validate) once in main.
 *
 * Return convention: 0 / -1.  On a load or validation error every message
 * reads "FILE:LINE: message" (several are separated by '\n', no trailing
 * newline) and is appended to err (which may be NULL); errno is EINVAL when
 * the contents are wrong (exit 100) and the system's errno when a file
 * could not be read or memory ran out (exit 111).  Lookups of a declared
 * key fall back to the default; a lookup whose ${} expansion fails returns
 * NULL / -1 (errno EINVAL); a lookup of an undeclared key is a panic (a
 * bug).  Lookups cache their expansion inside the struct: a struct conf is
 * not safe to share between threads.  Strings returned by conf_str() live
 * until conf_free().
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
#define CONF_VALUE_MAX	16384	/* longest value after ${} expansion */
#define CONF_FILE_MAX	(1024 * 1024)	/* largest file read */
#define CONF_ERRORS_MAX	20	/* messages kept in err, then one "more" */

enum conf_type {
	CONF_STR,		/* any text */
	CONF_UINT,		/* scan_u64 */
	CONF_BOOL,		/* yes/no */
	CONF_DURATION,		/* seconds, with s/m/h/d/w */
	CONF_SIZE,		/* bytes, with k/M/G/T */
	CONF_LIST,		/* words separated by blanks or commas */
	CONF_PATH,		/* absolute path after expansion */
};

/* One line of the schema (lib/conf_keys.c); the table ends with a NULL name. */
struct conf_key {
	const char	*name;	/* "queue_dir", or "*.listen" for services */
	enum conf_type	 type;
	const char	*def;	/* default, before ${} expansion */
	const char	*desc;	/* one line, for tern-conf and the man page */
};
extern const struct conf_key conf_keys[];

struct conf;

const char *conf_locate(const char *opt_c);
int	conf_load(const char *path, struct conf **conf_r, struct sbuf *err);
/* Parse a buffer as if it were the file 'name' (fuzzing, tests); includes
 * are read from disk relative to name's folder. */
int	conf_load_mem(const void *buf, size_t len, const char *name,
	    struct conf **conf_r, struct sbuf *err);
void	conf_free(struct conf **);
/* Re-check every key after expansion (types, absolute paths, enumerations,
 * loops): 0 when every lookup will succeed. */
int	conf_validate(const struct conf *, struct sbuf *err);
/* conf_locate(opt_c), conf_load(), conf_validate(): what programs call. */
int	conf_read(const char *opt_c, struct conf **conf_r, struct sbuf *err);
/*
 * 1 when a file read for this configuration (tern.conf, its includes) has
 * changed, gone or been replaced since it was read, else 0: a long-lived
 * process that must follow edits (a fork server) asks before each use.
 * A few stat() calls.
 */
int	conf_changed(const struct conf *);
/* The folder that holds tern.conf (and, by default, the maps). */
const char *conf_dir(const struct conf *);
/* The schema entry for a key ("smtp.listen" gives "*.listen"), or NULL. */
const struct conf_key *conf_key_find(const char *key);
/* Is name a valid service name ([a-z0-9_-]+)? */
int	conf_is_service_name(const char *name);

/* Effective value after ${} expansion; NULL only if unset with no default. */
const char *conf_str(const struct conf *, const char *key);
int	conf_uint(const struct conf *, const char *key, uint64_t *r);
int	conf_bool(const struct conf *, const char *key, int *r);
int	conf_duration(const struct conf *, const char *key, uint64_t *r);
int	conf_size(const struct conf *, const char *key, uint64_t *r);
/* conf_str() that also checks that the value is an absolute path. */
const char *conf_path(const struct conf *, const char *key);
/*
 * This host's name: "hostname" when set, else the system's (gethostname),
 * into out (NUL-ended).  0, or -1 with errno (ENAMETOOLONG: it does not
 * fit; ENOENT: the system has none).  The name in greetings and Received
 * lines, and what host= in the accounts map is compared with.
 */
int	conf_hostname(const struct conf *, char *out, size_t size);
/*
 * Split a list value into words.  *words_r is one allocation (free it with
 * free()), NULL-terminated; *n_r is the count (0 for an empty list).
 */
int	conf_list(const struct conf *, const char *key, char ***words_r,
	    size_t *n_r);
/* Was the key set in a file (not only defaulted)? */
int	conf_is_set(const struct conf *, const char *key);
/*
 * The names listed in "services", in order: what tern-supervise runs.
 * Same allocation rule as conf_list().
 */
int	conf_services(const struct conf *, char ***names_r, size_t *n_r);

/*
 * Print "key = value" (expanded) for every key set in a file and every
 * global default, and the service keys of every service with a key set,
 * sorted by name; with only_set, only the keys set in a file.
 */
int	conf_dump(const struct conf *, FILE *, int only_set);

#endif
