/*
 * queue-tool - test helper around lib/queue and lib/envelope:
 *   queue-tool scan QUEUE_DIR          committed ids, one per line
 *   queue-tool clean QUEUE_DIR AGE NOW  queue_clean; prints the counts
 *   queue-tool read ENVELOPE_FILE      a queued envelope's fields
 *   queue-tool bytes ENVELOPE_FILE     its records as stored (either layout)
 *   queue-tool path QUEUE_DIR KIND ID  qid_path (msg env state tmpmsg tmpenv)
 *   queue-tool submit ENQUEUE MSGFILE SENDER RCPT...  queue_submit; prints
 *                                      "status qid" 
 * Exit 0 on success, 1 on error (with a line on stderr).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/qid.h"
#include "lib/queue.h"
#include "lib/scan.h"
#include "lib/sbuf.h"

static int
print_id(const char *id, void *arg)
{
	(void)arg;
	return printf("%s\n", id) < 0 ? -1 : 0;
}

static int
cmd_bytes(const char *path)
{
	struct sbuf b;
	int r = 0;

	sbuf_init(&b, ENV_FILE_MAX);
	if (queue_envelope_bytes(path, &b) < 0) {
		perror(path);
		r = 1;
	} else if (fwrite(b.s, 1, b.len, stdout) != b.len || fflush(stdout))
		r = 1;
	sbuf_fini(&b);
	return r;
}

static int
cmd_read(const char *path)
{
	struct envelope e;
	struct sbuf b;
	const char *why;
	size_t i;

	sbuf_init(&b, ENV_FILE_MAX);
	envelope_init(&e);
	if (queue_envelope_bytes(path, &b) < 0) {
		perror(path);
		sbuf_fini(&b);
		return 1;
	}
	if (envelope_read(b.s, b.len, ENV_R_QUEUED, &e, &why) != ENV_OK) {
		fprintf(stderr, "%s: %s\n", path, why);
		envelope_fini(&e);
		sbuf_fini(&b);
		return 1;
	}
	printf("qid=%s time=%llu sender=<%s> ip=%s helo=%s nrcpt=%zu\n",
	    e.qid, (unsigned long long)e.arrival, e.sender, e.client_ip,
	    e.helo, e.nrcpt);
	for (i = 0; i < e.nrcpt; i++)
		printf("rcpt=<%s> notify=%u\n", e.rcpt[i].addr,
		    e.rcpt[i].notify);
	envelope_fini(&e);
	sbuf_fini(&b);
	return 0;
}

static int
cmd_path(const char *dir, const char *kind, const char *id)
{
	static const struct { const char *n; enum qid_kind k; } kinds[] = {
		{ "msg", QID_MSG }, { "env", QID_ENV }, { "state", QID_STATE },
		{ "statenew", QID_STATE_NEW }, { "tmpmsg", QID_TMP_MSG },
		{ "tmpenv", QID_TMP_ENV },
	};
	struct sbuf p;
	size_t i;

	sbuf_init(&p, 4096);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i].n) == 0 &&
		    qid_path(dir, kinds[i].k, id, &p) == 0) {
			printf("%s\n", p.s);
			sbuf_fini(&p);
			return 0;
		}
	fprintf(stderr, "bad kind or id\n");
	sbuf_fini(&p);
	return 1;
}

static int
cmd_submit(int argc, char **argv)
{
	struct envelope e;
	char qid[QID_LEN + 1];
	int fd, i, status;

	envelope_init(&e);
	if (snprintf(e.sender, sizeof(e.sender), "%s", argv[4]) < 0)
		return 1;
	for (i = 5; i < argc; i++)
		if (envelope_add_rcpt(&e, argv[i], NULL, 0, NULL) < 0) {
			perror("envelope_add_rcpt");
			return 1;
		}
	if ((fd = open(argv[3], O_RDONLY | O_CLOEXEC)) < 0) {
		perror(argv[3]);
		return 1;
	}
	if (queue_submit(argv[2], fd, &e, NULL, qid, &status) < 0) {
		perror("queue_submit");
		envelope_fini(&e);
		(void)close(fd);
		return 1;
	}
	printf("%d %s\n", status, qid);
	envelope_fini(&e);
	(void)close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct queue_clean_stats st;
	uint64_t age, now;
	size_t strange;

	if (argc == 3 && strcmp(argv[1], "scan") == 0) {
		if (queue_scan(argv[2], print_id, NULL, &strange) < 0) {
			perror("queue_scan");
			return 1;
		}
		fprintf(stderr, "strange=%zu\n", strange);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "clean") == 0) {
		if (scan_u64_s(argv[3], &age) < 0 ||
		    scan_u64_s(argv[4], &now) < 0) {
			fprintf(stderr, "bad number\n");
			return 1;
		}
		if (queue_clean(argv[2], (time_t)now, (unsigned long)age,
		    &st) < 0) {
			perror("queue_clean");
			return 1;
		}
		printf("tmp=%zu msg=%zu state=%zu strange=%zu\n",
		    st.tmp_removed, st.msg_removed, st.state_removed,
		    st.strange);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return cmd_read(argv[2]);
	if (argc == 3 && strcmp(argv[1], "bytes") == 0)
		return cmd_bytes(argv[2]);
	if (argc == 5 && strcmp(argv[1], "path") == 0)
		return cmd_path(argv[2], argv[3], argv[4]);
	if (argc >= 5 && strcmp(argv[1], "submit") == 0)
		return cmd_submit(argc, argv);
	fprintf(stderr, "usage: queue-tool scan|clean|read|bytes|path|submit ...\n");
	return 1;
}
