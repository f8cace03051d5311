/*
 * maps.h - the text maps in the config folder, the records tern-maps
 * stores in the cdb files, and the compiler shared by tern-maps and
 * tern-user.
 *
 * SOURCES (maps(5)).  Each file is read line by line; a line is at most
 * MAPS_LINE_MAX bytes; blank lines and lines whose first non-blank byte is
 * '#' are skipped; fields are separated by blanks (space, tab); a NUL byte
 * or a control byte in a line is an error.  Errors are reported as
 * "FILE:LINE: message".
 *   accounts  ADDRESS key=value ...
 *             uid=N          required; account_uid_min..account_uid_max;
 *                            unique
 *             home=PATH      absolute; default maps_maildir_path()
 *             quota=SIZE     bytes with k/M/G/T; 0 or absent: no quota
 *             host=NAME      storage host; default "local"
 *             pass=HASH      checked by passwd_import(); absent: no login
 *             status=active|disabled|moving   default active; moving
 *                            (tern-user move, doc/move.md): deliveries
 *                            are deferred (4.2.1), logins answered with a
 *                            temporary error
 *   aliases   ADDRESS: TARGET, TARGET ...   or   @DOMAIN: TARGET ...
 *             (the second is a catch-all for the domain); each TARGET is
 *             an address.
 *   domains   DOMAIN local|virtual|relay
 *   routes    DOMAIN-or-ADDRESS NEXTHOP, NEXTHOP one of "local",
 *             "smtp:HOST", "smtp:HOST:PORT", "smtp:[HOST]", "smtp:[HOST]:PORT",
 *             "lmtp:HOST:PORT" ([HOST] means: no MX lookup).
 *   sender_login  ADDRESS: ACCOUNT, ...  or  @DOMAIN: ACCOUNT, ...  (the
 *             aliases syntax): accounts that may also send as ADDRESS
 *             (tern-smtpd on submission, Postfix's
 *             smtpd_sender_login_maps); the first line of a key wins.
 * An ADDRESS is local@domain: a dot-atom local part of at most 64 bytes
 * without '/', and a domain of LDH labels, at most MAPS_ADDR_MAX bytes in
 * all: a strict subset of what addr_parse() accepts (no quoted local part,
 * no address literal, no UTF-8), because the address becomes a folder
 * name.  Map keys are lowercased (ASCII); for such addresses that is what
 * addr_key(a, 1, out) gives, so a reader may build its key either way.
 * The stored values keep the case written.
 *
 * RECORDS (values in the cdb files, keys lowercased):
 *   accounts.cdb  ADDRESS -> "uid=N quota=N status=active|disabled|moving
 *                 host=NAME home=PATH" (one line, one space between
 *                 fields, exactly this order; home last)
 *   secrets.cdb   ADDRESS -> the normalised hash (passwd_import()); never
 *                 written for the mx tier
 *   aliases.cdb   ADDRESS or "@DOMAIN" -> "TARGET,TARGET,..."
 *   domains.cdb   DOMAIN -> "local" | "virtual" | "relay"
 *   routes.cdb    DOMAIN or ADDRESS -> NEXTHOP as written
 *   sender_login.cdb  ADDRESS or "@DOMAIN" -> "ACCOUNT,ACCOUNT,..."
 * maps_account_decode() is the strict reader of an accounts.cdb record.
 *
 * Parsers take a pointer and a length (no NUL needed, nothing read past
 * the end) and return 1 (a record: the slices point into the line), 0 (a
 * blank or comment line) or -1 with a static message in *why_r.
 * Other functions return 0 or -1 with errno set unless they say otherwise.
 */
#ifndef TERN_MAPS_H
#define TERN_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

#define MAPS_LINE_MAX	4096	/* longest source line */
#define MAPS_ADDR_MAX	254	/* RFC 5321 4.5.3.1.3: path 256 less <> */
#define MAPS_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define MAPS_DOMAIN_MAX	253	/* RFC 1035 2.3.4, without the root dot */
#define MAPS_PATH_MAX	1024	/* home= and the hashed path */
#define MAPS_RECORD_MAX	(MAPS_PATH_MAX + MAPS_DOMAIN_MAX + 128)
#define MAPS_ERRORS_MAX	(1024 * 1024)	/* bytes of error text kept */

struct maps_slice {
	const char	*p;
	size_t		 n;
};

enum maps_status {
	MAPS_ACTIVE = 0,
	MAPS_DISABLED,
	MAPS_MOVING		/* tern-user move: deliveries and logins wait */
};

enum maps_domain_kind {
	MAPS_DOMAIN_LOCAL = 0,
	MAPS_DOMAIN_VIRTUAL,
	MAPS_DOMAIN_RELAY
};

enum maps_nexthop_kind {
	MAPS_HOP_LOCAL = 0,
	MAPS_HOP_SMTP,
	MAPS_HOP_LMTP
};

enum maps_tier {
	MAPS_TIER_ALL = 0,
	MAPS_TIER_MX,
	MAPS_TIER_STORAGE,
	MAPS_TIER_FRONT,
	MAPS_TIER_SUBMISSION
};

/* One line of "accounts"; slices point into the line (n == 0: absent). */
struct maps_account {
	struct maps_slice addr;
	uint32_t	 uid;
	uint64_t	 quota;		/* 0: none */
	enum maps_status status;
	struct maps_slice home;
	struct maps_slice host;		/* "local" when absent */
	struct maps_slice pass;
};

/* An accounts.cdb record, decoded; slices point into the value. */
struct maps_record {
	uint32_t	 uid;
	uint64_t	 quota;
	enum maps_status status;
	struct maps_slice host;
	struct maps_slice home;
};

struct maps_nexthop {
	enum maps_nexthop_kind kind;
	struct maps_slice host;		/* without brackets */
	uint16_t	 port;		/* 0: the default (25, or none) */
	int		 is_literal;	/* [host]: no MX lookup */
};

/* Is this a valid map address (see above)?  1 or 0. */
int	maps_addr_valid(const char *, size_t);
/* Is this a valid domain (LDH labels)?  1 or 0. */
int	maps_domain_valid(const char *, size_t);
/* Append the lowercased bytes (a map key) to out. */
int	maps_key(struct sbuf *out, const char *, size_t);

int	maps_parse_account(const char *line, size_t len, struct maps_account *,
	    const char **why_r);
/* key_r: the address or "@domain"; targets_r: "t1,t2" (replaced). */
int	maps_parse_alias(const char *line, size_t len, struct maps_slice *key_r,
	    struct sbuf *targets_r, const char **why_r);
int	maps_parse_domain(const char *line, size_t len,
	    struct maps_slice *domain_r, enum maps_domain_kind *kind_r,
	    const char **why_r);
int	maps_parse_route(const char *line, size_t len, struct maps_slice *key_r,
	    struct maps_nexthop *hop_r, struct maps_slice *hop_text_r,
	    const char **why_r);
/* A NEXTHOP alone: 0, or -1 with *why_r. */
int	maps_nexthop_parse(const char *, size_t, struct maps_nexthop *,
	    const char **why_r);

const char *maps_domain_kind_name(enum maps_domain_kind);
const char *maps_status_name(enum maps_status);
/* "all", "mx", "storage", "front", "submission": 0, or -1 (EINVAL). */
int	maps_tier_parse(const char *, enum maps_tier *r);

/* Encode an accounts.cdb record into out (replaced). */
int	maps_account_encode(struct sbuf *out, uint32_t uid, uint64_t quota,
	    enum maps_status, const char *host, size_t hostlen,
	    const char *home, size_t homelen);
/* Decode one strictly: 0, or -1 with *why_r (and errno EPROTO). */
int	maps_account_decode(const void *, size_t, struct maps_record *,
	    const char **why_r);

/*
 * The hashed Maildir of an address, appended to out:
 * MAIL_DIR/XX/YY/ADDRESS/ where ADDRESS is lowercased and XXYY are the
 * first four hex digits of SHA-256 of the lowercased address.  A trailing
 * '/' of mail_dir is not doubled.
 */
int	maps_maildir_path(struct sbuf *out, const char *mail_dir,
	    const char *addr, size_t addrlen);

/*
 * Compile the text sources in src_dir into the cdb files in out_dir.
 * All or nothing: every output is written as NAME.cdb.tmp, finished and
 * fsynced; only when no source had an error are they renamed into place
 * (each rename durable, then the folder fsynced).  Otherwise the temp
 * files are removed and the old maps stay in use.  For the mx tier
 * secrets.cdb is not written and an old one in out_dir is removed.
 * A missing source file is an empty map.
 * Returns 0; MAPS_EINPUT when a source had errors (each "FILE:LINE:
 * message\n" in errs, *nerr_r of them); MAPS_ESYS on a system error
 * (the message in errs, errno set).
 */
#define MAPS_EINPUT	(-1)
#define MAPS_ESYS	(-2)

struct maps_compile_opts {
	const char	*src_dir;	/* accounts, aliases, domains, routes */
	const char	*out_dir;	/* the .cdb files */
	const char	*mail_dir;	/* for the default home */
	uint64_t	 uid_min, uid_max;
	int		 allow_plain;	/* {PLAIN} hashes accepted */
	enum maps_tier	 tier;
};

struct maps_stats {
	size_t		 accounts, secrets, aliases, domains, routes;
};

int	maps_compile(const struct maps_compile_opts *, struct sbuf *errs,
	    size_t *nerr_r, struct maps_stats *stats_r);

/*
 * Fill opts from tern.conf: src_dir = conf_dir, out_dir = map_dir,
 * mail_dir, account_uid_min/max, allow_plain_passwords; tier all.  The
 * strings belong to the conf.  0, or -1 with *why_r.
 */
struct conf;
int	maps_compile_opts_conf(struct maps_compile_opts *, const struct conf *,
	    const char **why_r);

#endif
