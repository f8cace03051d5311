/*
 * resolve.h - where mail for an address goes: domain class, aliases,
 * recipient delimiter, catch-all, accounts.
 *
 * One function answers for tern-smtpd (may RCPT TO be accepted?) and for
 * tern-qmgr (which accounts or remote addresses get the message), so the
 * two can never disagree.  For an address in a local or virtual domain the
 * lookup order is:
 *   1. aliases[address]            (the full address, +tag included)
 *   2. accounts[address]
 *   3. with the extension cut at the recipient delimiter ("user+tag" ->
 *      "user"): aliases[base], then accounts[base]
 *   4. aliases["@domain"]          (the domain's catch-all)
 * An alias expands to its targets, each resolved the same way (nested
 * aliases), with a loop guard: an address met again on the way is not
 * expanded again but delivered to its account if it has one (so
 * "alice: alice, archive" keeps a copy for alice, as in Postfix).  Depth
 * and the number of targets are bounded.  A target in a domain that is not
 * local or virtual is a remote target.  Relay domains resolve to one remote
 * target, the address itself.
 *
 * Keys are the lowercased address (maps_key).  Input is a canonical
 * "local@domain" (addr_format); a quoted local part never matches a map
 * key, so it resolves as unknown.
 *
 * Freshness: the walk's misses may come from a map checked up to a
 * second ago (cdbmap_lookup_stale: no stat() per miss, most of a RCPT's
 * cost otherwise); a verdict that rests on a miss (unknown, foreign, an
 * unknown or remote target) is confirmed against the files as they are
 * now (cdbmap_confirm) and the walk made again when one changed, so as
 * with a plain cdbmap_lookup() "no such user" never comes from an older
 * map.  A RCPT for an existing account makes no stat(), one for an
 * unknown address one per map its answer rests on (aliases, accounts).
 * resolve_domain_kind() confirms a foreign verdict the same way.
 *
 * Return convention: resolve_address() returns 0 with the verdict in
 * r->status, or -1 with errno set when a map could not be read (a
 * temporary failure: smtpd answers 451, qmgr retries later).
 */
#ifndef TERN_RESOLVE_H
#define TERN_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/maps.h"

#define RESOLVE_DEPTH_MAX	10	/* nested aliases */
#define RESOLVE_TARGETS_MAX	1000	/* addresses one recipient expands to */

struct cdbmap;

struct resolve_maps {
	struct cdbmap	*accounts;
	struct cdbmap	*aliases;
	struct cdbmap	*domains;
	char		 delims[8];	/* recipient_delimiter, "" for none */
};

enum resolve_domain {
	RESOLVE_DOM_FOREIGN = 0,	/* not ours */
	RESOLVE_DOM_LOCAL,
	RESOLVE_DOM_VIRTUAL,
	RESOLVE_DOM_RELAY
};

enum resolve_status {
	RESOLVE_OK = 0,		/* at least one target */
	RESOLVE_UNKNOWN,	/* local or virtual domain, no such user */
	RESOLVE_DISABLED,	/* the account exists but is disabled */
	RESOLVE_FOREIGN,	/* not our domain: relaying needs authentication */
	RESOLVE_LOOP,		/* aliases nest too deep */
	RESOLVE_TOOMANY		/* aliases expand to too many targets */
};

enum resolve_kind {
	RESOLVE_T_LOCAL = 0,	/* an account on some storage host */
	RESOLVE_T_REMOTE	/* an address to send elsewhere */
};

struct resolve_target {
	enum resolve_kind kind;
	char		 addr[MAPS_ADDR_MAX + 1];	/* account key or address */
	uint32_t	 uid;		/* local: the account's uid */
	char		 host[MAPS_DOMAIN_MAX + 1];	/* local: storage host */
	int		 moving;	/* local: status=moving (tern-user move) */
};

struct resolve_result {
	enum resolve_status status;
	size_t		 n;
	size_t		 unknown;	/* alias targets that resolved to nothing */
	struct resolve_target *t;	/* n targets, allocated */
};

/* Open the maps of map_dir (missing ones are empty).  0 or -1. */
int	resolve_maps_open(struct resolve_maps *, const char *map_dir,
	    const char *delims);
void	resolve_maps_close(struct resolve_maps *);
/*
 * For a fork server that opens the maps once for its children:
 * cdbmap_hugepages() on each map (the large accounts.cdb is the one it
 * changes; the number of maps it worked for), and resolve_maps_check()
 * before each fork: a replaced map is loaded (and made huge) here once,
 * not in every child (0, or -1 when a map could not be checked: the
 * children check again themselves).
 */
int	resolve_maps_hugepages(struct resolve_maps *);
int	resolve_maps_check(struct resolve_maps *);

/* The class of a domain: 0 with *kind_r, or -1 (map error). */
int	resolve_domain_kind(struct resolve_maps *, const char *domain,
	    size_t n, enum resolve_domain *kind_r);

int	resolve_address(struct resolve_maps *, const char *addr, size_t n,
	    struct resolve_result *r);
void	resolve_result_fini(struct resolve_result *);
const char *resolve_status_name(enum resolve_status);

#endif
