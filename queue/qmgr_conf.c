/*
 * qmgr_conf.c - tern-qmgr's settings from tern.conf, read once in main.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/roles.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "queue/qmgr.h"
#include "queue/qmgr_conf.h"


static void
schedule(struct qmgr *q, const struct conf *cf)
{
	char **w;
	size_t n, i;

	if (conf_list(cf, "queue_retry_schedule", &w, &n) < 0)
		die_sys(EXIT_PERM, "queue_retry_schedule");
	if (n == 0 || n > QMGR_SCHED_MAX)
		die(EXIT_PERM, "queue_retry_schedule: 1 to %d durations",
		    QMGR_SCHED_MAX);
	for (i = 0; i < n; i++)
		if (scan_duration_s(w[i], &q->sched[i]) < 0 ||
		    q->sched[i] == 0 || q->sched[i] > 86400 * 365)
			die(EXIT_PERM, "queue_retry_schedule: bad duration %s",
			    log_esc_s(w[i]));
	q->nsched = n;
	free(w);
}

struct first_local {
	char	*out;
	size_t	 outlen;
};

static int
first_local_rec(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct first_local *f = arg;
	const unsigned char *k = key;
	size_t i;

	if (vlen != 5 || memcmp(val, "local", 5) != 0 || klen == 0 ||
	    klen >= f->outlen)
		return 0;
	for (i = 0; i < klen; i++)
		if (k[i] <= ' ' || k[i] >= 0x7f)
			return 0;	/* tern-maps writes no such key */
	memcpy(f->out, key, klen);
	f->out[klen] = '\0';
	return 1;
}

/*
 * The first local domain of map_dir/domains.cdb, into out: the compiled
 * map copied to every host of a tier (the text source lives on the admin host
 * only, and may be unreadable to ternq), in its source's order.  0 or -1.
 */
static int
first_local_domain(const char *map_dir, char *out, size_t outlen)
{
	struct first_local f = { out, outlen };
	struct sbuf path;
	int r = -1;

	sbuf_init(&path, QMGR_PATH_MAX);
	if (sbuf_printf(&path, "%s/domains.cdb", map_dir) < 0) {
		sbuf_fini(&path);
		return -1;
	}
	if ((r = cdbmap_walk(path.s, first_local_rec, &f)) < 0)
		log_warn_sys("postmaster: cannot read %s", path.s);
	else if (r == 0)
		log_warn("postmaster: no local domain in %s", path.s);
	sbuf_fini(&path);
	return r == 1 ? 0 : -1;
}

static void
postmaster(struct qmgr *q, const struct conf *cf)
{
	const char *to = conf_str(cf, "double_bounce_to");
	char dom[MAPS_DOMAIN_MAX + 1];

	if (to == NULL)
		die(EXIT_PERM, "double_bounce_to");
	if (to[0] == '\0') {
		if (first_local_domain(q->map_dir, dom, sizeof(dom)) < 0)
			(void)strlcpy(dom, q->hostname, sizeof(dom));
		if (snprintf(q->postmaster, sizeof(q->postmaster),
		    "postmaster@%s", dom) >= (int)sizeof(q->postmaster))
			die(EXIT_PERM, "postmaster address too long");
	} else if (strlcpy(q->postmaster, to, sizeof(q->postmaster)) >=
	    sizeof(q->postmaster)) {
		die(EXIT_PERM, "double_bounce_to too long");
	}
}

static void
remote(struct qmgr *q, const struct conf *cf)
{
	const char *pol;
	enum remote_tls t;
	size_t i;

	if ((q->run_dir = conf_path(cf, "run_dir")) == NULL ||
	    (q->relay_host = conf_str(cf, "relay_host")) == NULL ||
	    (q->remote_socket = conf_str(cf, "remote_socket")) == NULL ||
	    (pol = conf_str(cf, "remote_tls")) == NULL ||
	    conf_uint(cf, "remote_concurrency", &q->remote_concurrency) < 0 ||
	    conf_list(cf, "tls_policy", &q->tls_words, &q->ntls) < 0)
		die(EXIT_PERM, "bad remote delivery setting");
	if (remote_tls_parse(pol, &t) < 0)
		die(EXIT_PERM, "remote_tls: none, may, must or verify");
	q->tls_default = (int)t;
	for (i = 0; i < q->ntls; i++) {
		const char *c = strrchr(q->tls_words[i], ':');

		if (c == NULL || c == q->tls_words[i] ||
		    remote_tls_parse(c + 1, &t) < 0)
			die(EXIT_PERM, "tls_policy: bad entry %s (DOMAIN:POLICY)",
			    log_esc_s(q->tls_words[i]));
	}
	if (q->relay_host[0] != '\0') {
		struct maps_nexthop nh;
		const char *why;

		if (maps_nexthop_parse(q->relay_host, strlen(q->relay_host),
		    &nh, &why) < 0 || nh.kind == MAPS_HOP_LOCAL ||
		    strlen(q->relay_host) > REMOTE_HOP_MAX)
			die(EXIT_PERM, "relay_host: %s", log_esc_s(q->relay_host));
	}
}

void
qmgr_conf(struct qmgr *q, const struct conf *cf)
{
	unsigned roles;

	if ((q->queue_dir = conf_path(cf, "queue_dir")) == NULL ||
	    (q->program_dir = conf_path(cf, "program_dir")) == NULL ||
	    (q->map_dir = conf_path(cf, "map_dir")) == NULL ||
	    (q->lspawn_socket = conf_path(cf, "lspawn_socket")) == NULL ||
	    (q->delims = conf_str(cf, "recipient_delimiter")) == NULL ||
	    conf_duration(cf, "queue_lifetime", &q->lifetime) < 0 ||
	    conf_duration(cf, "queue_rescan_interval", &q->rescan) < 0 ||
	    conf_uint(cf, "qmgr_concurrency", &q->concurrency) < 0 ||
	    conf_size(cf, "message_size_limit", &q->size_limit) < 0)
		die(EXIT_PERM, "bad setting in the configuration");
	if (q->concurrency == 0 || q->concurrency > QMGR_CONCURRENCY_MAX)
		die(EXIT_PERM, "qmgr_concurrency: 1 to %d",
		    QMGR_CONCURRENCY_MAX);
	if (q->rescan == 0)
		q->rescan = 1;
	if (strlen(q->delims) >= sizeof(((struct resolve_maps *)0)->delims))
		die(EXIT_PERM, "recipient_delimiter too long");
	if (conf_hostname(cf, q->hostname, sizeof(q->hostname)) < 0)
		die_sys(errno == ENAMETOOLONG ? EXIT_PERM : EXIT_TEMP,
		    "hostname");
	if (roles_conf(cf, &roles) < 0)
		die(EXIT_PERM, "bad roles");
	q->storage = (roles & ROLE_STORAGE) != 0;
	schedule(q, cf);
	postmaster(q, cf);
	remote(q, cf);
}
