/*
 * tern-mailq - look at the queue, and ask tern-qmgr to flush it or to
 * delete a message (tern-mailq(8)).  Reads the queue; writes only to the
 * trigger FIFO (or, when no tern-qmgr runs, removes a message itself in
 * doc/queue.md's order).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/envelope.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/queue.h"
#include "lib/sbuf.h"
#include "lib/trigger.h"

#define PATH_MAX_Q	4096
#define DELETE_WAIT_MS	10000	/* how long -d waits to see it gone */

struct lister {
	const char	*qdir;
	int		 json;
	size_t		 n;
	uint64_t	 bytes;
	time_t		 now;
};

static void
json_str(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
age(char *out, size_t n, time_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		(void)snprintf(out, n, "%llds", (long long)secs);
	else if (secs < 7200)
		(void)snprintf(out, n, "%lldm", (long long)secs / 60);
	else if (secs < 172800)
		(void)snprintf(out, n, "%lldh", (long long)secs / 3600);
	else
		(void)snprintf(out, n, "%lldd", (long long)secs / 86400);
}

static void
text_item(const struct lister *l, const char *indent, const char *addr,
    const struct qstate_item *it)
{
	char when[32];

	printf("%s<%s> %s", indent, addr, qstate_status_name(it->status));
	if (it->attempts > 0)
		printf(" attempts=%lu", (unsigned long)it->attempts);
	if (it->status == QS_PENDING && it->next > (int64_t)l->now) {
		age(when, sizeof(when), (time_t)it->next - l->now);
		printf(" next=%s", when);
	}
	if (it->diag[0] != '\0')
		printf(" (%s)", it->diag);
	putchar('\n');
}

static void
json_item(const char *addr, const struct qstate_item *it)
{
	printf("{\"address\":");
	json_str(addr);
	printf(",\"status\":\"%s\",\"attempts\":%lu,\"next\":%lld,"
	    "\"diag\":", qstate_status_name(it->status),
	    (unsigned long)it->attempts, (long long)it->next);
	json_str(it->diag);
}

static void
show(struct lister *l, const char *id, const struct envelope *e,
    const struct qstate *st, long long size)
{
	char a[32];
	size_t i, j;

	if (l->json) {
		printf("%s{\"id\":\"%s\",\"size\":%lld,\"arrival\":%llu,"
		    "\"sender\":", l->n > 0 ? ",\n" : "", id, size,
		    (unsigned long long)e->arrival);
		json_str(e->sender);
		printf(",\"recipients\":[");
		for (i = 0; i < st->nr; i++) {
			const struct qstate_rcpt *r = &st->r[i];

			printf("%s", i > 0 ? "," : "");
			json_item(e->rcpt[i].addr, &r->it);
			printf(",\"targets\":[");
			for (j = 0; j < r->n; j++) {
				printf("%s", j > 0 ? "," : "");
				json_item(st->t[r->first + j].addr,
				    &st->t[r->first + j].it);
				printf("}");
			}
			printf("]}");
		}
		printf("]}");
		return;
	}
	age(a, sizeof(a), l->now - (time_t)e->arrival);
	printf("%s %8lld %5s <%s>\n", id, size, a, e->sender);
	for (i = 0; i < st->nr; i++) {
		const struct qstate_rcpt *r = &st->r[i];

		text_item(l, "    ", e->rcpt[i].addr, &r->it);
		for (j = 0; j < r->n; j++)
			text_item(l, "      -> ", st->t[r->first + j].addr,
			    &st->t[r->first + j].it);
	}
}

static int
list_one(const char *id, void *arg)
{
	struct lister *l = arg;
	struct envelope e;
	struct qstate st;
	struct sbuf p;
	struct stat sb;
	const char *why;

	envelope_init(&e);
	qstate_init(&st);
	sbuf_init(&p, PATH_MAX_Q);
	if (queue_read_envelope(l->qdir, id, &e, &why) < 0) {
		if (errno != ENOENT)	/* ENOENT: removed meanwhile */
			log_warn("%s cannot read the envelope: %s", id,
			    errno == EINVAL ? why : strerror(errno));
		goto out;
	}
	if (qstate_load(l->qdir, id, e.nrcpt, &st, &why) < 0) {
		log_warn("%s cannot read the state: %s", id,
		    errno == EPROTO ? why : strerror(errno));
		goto out;
	}
	if (qid_path(l->qdir, QID_MSG, id, &p) < 0 || stat(p.s, &sb) < 0)
		sb.st_size = -1;
	show(l, id, &e, &st, (long long)sb.st_size);
	l->n++;
	l->bytes += sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
out:
	sbuf_fini(&p);
	qstate_fini(&st);
	envelope_fini(&e);
	return 0;
}

static int
list(const char *qdir, int json)
{
	struct lister l;

	memset(&l, 0, sizeof(l));
	l.qdir = qdir;
	l.json = json;
	l.now = time(NULL);
	if (json)
		printf("[");
	if (queue_scan(qdir, list_one, &l, NULL) < 0)
		die_sys(EXIT_TEMP, "cannot scan %s", log_esc_s(qdir));
	if (json)
		printf("]\n");
	else if (l.n == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %zu message%s, %llu bytes\n", l.n,
		    l.n == 1 ? "" : "s", (unsigned long long)l.bytes);
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(EXIT_TEMP, "stdout");
	return EXIT_OK;
}

static int
flush(const char *qdir)
{
	if (trigger_send(qdir, "F", 1) < 0) {
		if (errno == ENXIO || errno == ENOENT)
			die(EXIT_TEMP, "tern-qmgr is not running");
		die_sys(EXIT_TEMP, "cannot ask tern-qmgr to flush");
	}
	printf("flush requested\n");
	return EXIT_OK;
}

static int
is_queued(const char *qdir, const char *id)
{
	struct sbuf p;
	struct stat sb;
	int r;

	sbuf_init(&p, PATH_MAX_Q);
	r = qid_path(qdir, QID_ENV, id, &p) == 0 && lstat(p.s, &sb) == 0;
	sbuf_fini(&p);
	return r;
}

static int
delete(const char *qdir, const char *id)
{
	char cmd[1 + QID_LEN];
	int i;

	if (!qid_valid(id, strlen(id)))
		die(EXIT_PERM, "not a queue id: %s", log_esc_s(id));
	if (!is_queued(qdir, id)) {
		fprintf(stderr, "tern-mailq: %s: no such message\n", id);
		return EXIT_PERM;
	}
	cmd[0] = 'D';
	memcpy(cmd + 1, id, QID_LEN);
	if (trigger_send(qdir, cmd, sizeof(cmd)) < 0) {
		if (errno != ENXIO && errno != ENOENT)
			die_sys(EXIT_TEMP, "cannot ask tern-qmgr to delete %s",
			    id);
		/* No tern-qmgr reads the FIFO (or there is none): nobody
		 * else changes the message. */
		if (qstate_remove(qdir, id) < 0)
			die_sys(EXIT_TEMP, "cannot remove %s", id);
		log_info("%s deleted by tern-mailq (no tern-qmgr running)",
		    id);
		printf("%s deleted\n", id);
		return EXIT_OK;
	}
	for (i = 0; i < DELETE_WAIT_MS / 100 && is_queued(qdir, id); i++)
		(void)usleep(100000);
	if (is_queued(qdir, id))
		printf("%s delete requested (tern-qmgr removes it after the "
		    "delivery in progress)\n", id);
	else
		printf("%s deleted\n", id);
	return EXIT_OK;
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-mailq [-c tern.conf] [-j | -f | -d ID...]");
}

int
main(int argc, char **argv)
{
	struct conf *cf = NULL;
	struct sbuf err;
	const char *opt_c = NULL, *qdir, *user, *why;
	int ch, json = 0, fl = 0, del = 0, rc = EXIT_OK, r;

	if (proc_init(NULL, 0, 0) < 0)
		_exit(EXIT_TEMP);
	log_init("tern-mailq", LOG_STDERR);
	while ((ch = getopt(argc, argv, "c:dfj")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'd':
			del = 1;
			break;
		case 'f':
			fl = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	if (json + fl + del > 1 || (del ? optind >= argc : optind != argc))
		usage();
	sbuf_init(&err, 4096);
	if (conf_read(opt_c, &cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	if ((qdir = conf_path(cf, "queue_dir")) == NULL ||
	    (user = conf_str(cf, "queue_user")) == NULL)
		die(EXIT_PERM, "bad queue_dir or queue_user");
	r = priv_drop_user(user, NULL, &why);
	if (r != PRIV_DROPPED && r != PRIV_SKIPPED)
		die_sys(EXIT_TEMP, "cannot become %s: %s", log_esc_s(user), why);
	if (fl)
		rc = flush(qdir);
	else if (del)
		for (; optind < argc; optind++) {
			r = delete(qdir, argv[optind]);
			if (r != EXIT_OK)
				rc = r;
		}
	else
		rc = list(qdir, json);
	conf_free(&cf);
	return rc;
}
