/* Unit tests for lib/remote_svc.c: the hellos between tern-qmgr's worker
 * and tern-remote's service and kept processes, their refusals (which
 * must keep no descriptor), the acknowledgement and the slot paths. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "lib/fdpass.h"
#include "lib/io.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static int
nopen(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n - 1;
}

static int
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
pair(int sp[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
}

static int64_t
soon(void)
{
	return io_deadline_ms(2000);
}

static void
t_svc(int f1, int f2)
{
	int sp[2], m, l, n0;
	unsigned slot = 0;

	if (pair(sp) < 0)
		exit(1);
	n0 = nopen();
	is_int(remote_svc_send(sp[0], 7, f1, f2, NULL), 0, "svc hello sent");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), 0,
	    "svc hello received");
	is_int(slot, 7, "slot number");
	ok(same_file(m, f1) && same_file(l, f2), "message and lock descriptors");
	(void)close(m);
	(void)close(l);
	is_int(nopen(), n0, "nothing else kept");

	is_int(remote_svc_send(sp[0], REMOTE_SVC_NOSLOT, f1, -1, NULL), 0,
	    "svc hello without a slot");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), 0,
	    "received");
	ok(same_file(m, f1) && l == -1, "the message, no lock");
	(void)close(m);

	/* A slot without its lock, a lock without a slot: refused. */
	{
		unsigned char h[5] = { 'N', 0, 0, 0, 3 };

		is_int((int)fdpass_send(sp[0], h, 5, &f1, 1, 0), 5, "sent");
		is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
		    "a slot without a lock is refused");
		is_int(errno, EPROTO, "EPROTO");
		is_int(nopen(), n0, "and its descriptor closed");
	}
	(void)close(sp[0]);
	(void)close(sp[1]);
}

static void
t_refusals(int f1)
{
	int sp[2], other[2], m, l, n0, fds[3];
	unsigned slot;
	unsigned char h[5] = { 'N', 0xff, 0xff, 0xff, 0xff };

	if (pair(sp) < 0 || pair(other) < 0)
		exit(1);
	n0 = nopen();
	/* A socket is no message file. */
	is_int((int)fdpass_send(sp[0], h, 5, &other[0], 1, 0), 5, "sent");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
	    "a socket as the message is refused");
	is_int(nopen(), n0, "and closed");
	/* Wrong byte. */
	h[0] = 'M';
	is_int((int)fdpass_send(sp[0], h, 5, &f1, 1, 0), 5, "sent");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
	    "a kept hello on the service is refused");
	is_int(nopen(), n0, "and closed");
	/* Three descriptors. */
	h[0] = 'N';
	fds[0] = fds[1] = fds[2] = f1;
	is_int((int)fdpass_send(sp[0], h, 5, fds, 3, 0), 5, "sent");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
	    "three descriptors are refused");
	is_int(nopen(), n0, "and closed");
	/* No descriptor at all. */
	is_int(io_write_full(sp[0], h, 5), 0, "sent");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
	    "no descriptor: refused");
	/* A hello cut short, then EOF. */
	is_int((int)fdpass_send(sp[0], h, 2, &f1, 1, 0), 2, "sent");
	(void)shutdown(sp[0], SHUT_WR);
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), -1,
	    "a short hello is refused");
	is_int(nopen(), n0, "and closed");
	(void)close(sp[0]);
	(void)close(sp[1]);
	(void)close(other[0]);
	(void)close(other[1]);
}

static void
t_kept(int f1)
{
	int sp[2], m, n0;
	unsigned char x = 'N';

	if (pair(sp) < 0)
		exit(1);
	n0 = nopen();
	is_int(remote_kept_send(sp[0], f1, NULL), 0, "kept hello sent");
	is_int(remote_kept_recv(sp[1], soon(), &m), 0, "kept hello received");
	ok(same_file(m, f1), "the message");
	(void)close(m);
	is_int((int)fdpass_send(sp[0], &x, 1, &f1, 1, 0), 1, "sent");
	is_int(remote_kept_recv(sp[1], soon(), &m), -1,
	    "a service hello on a kept socket is refused");
	is_int(nopen(), n0, "nothing kept");
	is_int(remote_ack_send(sp[0]), 0, "ack sent");
	is_int(remote_ack_recv(sp[1], soon()), 0, "ack received");
	is_int(io_write_full(sp[0], "B\0\0\0\0", 5), 0, "sent");
	is_int(remote_ack_recv(sp[1], soon()), -1, "anything else is no ack");
	(void)close(sp[0]);
	is_int(remote_ack_recv(sp[1], soon()), -1, "nor is EOF");
	(void)close(sp[1]);
}

static void
t_path(void)
{
	char out[128], lng[200];

	is_int(remote_slot_path("/run/tern/remote-svc", "smtp:[127.0.0.1]:25",
	    3, out, sizeof(out)), 0, "slot path");
	ok(strncmp(out, "/run/tern/remote-svc/", 21) == 0 &&
	    strlen(out) == 21 + 8 + 4 && strcmp(out + 29, ".3.s") == 0,
	    "DIR/HASH.N.s (%s)", out);
	{
		char again[128];

		(void)remote_slot_path("/run/tern/remote-svc",
		    "smtp:[127.0.0.1]:25", 3, again, sizeof(again));
		is_str(again, out, "the same hop, the same name");
		(void)remote_slot_path("/run/tern/remote-svc",
		    "smtp:[127.0.0.1]:26", 3, again, sizeof(again));
		ok(strcmp(again, out) != 0, "another hop, another name");
	}
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	is_int(remote_slot_path(lng, "smtp:x", 0, out, sizeof(out)), -1,
	    "too long for the buffer");
	lng[100] = '\0';
	is_int(remote_slot_path(lng, "smtp:x", 0, out, sizeof(out)), -1,
	    "too long for a sockaddr_un");
	is_int(errno, ENAMETOOLONG, "ENAMETOOLONG");
}

/* Write w[0..n) on one end of a pair, read records on the other. */
static int
records(const void *w, size_t n, int close_after, struct sbuf *out,
    size_t max)
{
	int sp[2], r;

	if (pair(sp) < 0)
		return -2;
	if (io_write_full(sp[1], w, n) < 0)
		return -2;
	if (close_after)
		(void)close(sp[1]);
	r = remote_read_records(sp[0], out, max, soon());
	(void)close(sp[0]);
	if (!close_after)
		(void)close(sp[1]);
	return r;
}

static void
t_records(void)
{
	struct remote_req req;
	struct sbuf enc, out;
	size_t i;
	int e;

	sbuf_init(&enc, REMOTE_MSG_MAX);
	sbuf_init(&out, REMOTE_MSG_MAX);
	remote_req_init(&req);
	(void)strlcpy(req.qid, "0TPB86CERV500KJE", sizeof(req.qid));
	(void)strlcpy(req.hop, "smtp:[127.0.0.1]:25", sizeof(req.hop));
	(void)strlcpy(req.sender, "s@example.org", sizeof(req.sender));
	for (i = 0; i < 300; i++)	/* over one read's chunk */
		if (remote_req_add_rcpt(&req, "someone@example.net") < 0)
			break;
	e = remote_req_encode(&req, &enc);
	ok(e == 0 && enc.len > 4096, "records: a request of %zu bytes",
	    enc.len);
	is_int(records(enc.s, enc.len, 0, &out, REMOTE_MSG_MAX), 0,
	    "records: read to END, the writer still there");
	ok(out.len == enc.len && memcmp(out.s, enc.s, enc.len) == 0,
	    "records: every byte, END included");
	for (i = 1; i < enc.len; i += enc.len / 7) {
		errno = 0;
		if (records(enc.s, i, 1, &out, REMOTE_MSG_MAX) != -1 ||
		    errno != EPROTO)
			break;
	}
	ok(i >= enc.len, "records: cut short (end of file): EPROTO");
	ok(sbuf_cat_s(&enc, "Z") == 0, "records: a byte after END");
	errno = 0;
	e = records(enc.s, enc.len, 1, &out, REMOTE_MSG_MAX);
	ok(e == -1 && errno == EPROTO, "records: bytes after END: EPROTO");
	errno = 0;
	e = records(enc.s, enc.len - 1, 1, &out, 100);
	ok(e == -1 && errno == E2BIG, "records: over max: E2BIG");
	errno = 0;
	e = records("E\0\0\0\1x", 6, 1, &out, 100);
	ok(e == -1 && errno == EPROTO, "records: END not empty: EPROTO");
	errno = 0;
	e = records("Q\0\0\0\2ab", 7, 0, &out, 100);
	ok(e == -1 && errno == ETIMEDOUT, "records: no END by the deadline");
	remote_req_fini(&req);
	sbuf_fini(&enc);
	sbuf_fini(&out);
}

/* The hello and the request in one send: both read back apart. */
static void
t_with_request(int f1)
{
	struct remote_req req, got;
	struct sbuf out;
	const char *why = "";
	int sp[2], m = -1, l = -1;
	unsigned slot = 0;

	remote_req_init(&req);
	remote_req_init(&got);
	sbuf_init(&out, REMOTE_MSG_MAX);
	(void)strlcpy(req.qid, "0TPB86CERV500KJE", sizeof(req.qid));
	(void)strlcpy(req.hop, "smtp:[127.0.0.1]:25", sizeof(req.hop));
	(void)strlcpy(req.sender, "s@example.org", sizeof(req.sender));
	ok(remote_req_add_rcpt(&req, "a@example.net") == 0 && pair(sp) == 0,
	    "with request: set up");
	is_int(remote_svc_send(sp[0], REMOTE_SVC_NOSLOT, f1, -1, &req), 0,
	    "with request: svc hello and request sent at once");
	is_int(remote_svc_recv(sp[1], soon(), &slot, &m, &l), 0,
	    "with request: the hello and descriptor");
	ok(remote_read_records(sp[1], &out, REMOTE_MSG_MAX, soon()) == 0 &&
	    remote_req_decode(out.s, out.len, &got, &why) == 0 &&
	    strcmp(got.qid, req.qid) == 0 && got.nrcpt == 1,
	    "with request: then the request");
	(void)close(m);
	is_int(remote_kept_send(sp[0], f1, &req), 0,
	    "with request: kept hello and request sent at once");
	is_int(remote_kept_recv(sp[1], soon(), &m), 0,
	    "with request: the kept hello");
	remote_req_fini(&got);
	remote_req_init(&got);
	ok(remote_read_records(sp[1], &out, REMOTE_MSG_MAX, soon()) == 0 &&
	    remote_req_decode(out.s, out.len, &got, &why) == 0 &&
	    strcmp(got.rcpt[0], "a@example.net") == 0,
	    "with request: then its request");
	(void)close(m);
	(void)close(sp[0]);
	(void)close(sp[1]);
	remote_req_fini(&req);
	remote_req_fini(&got);
	sbuf_fini(&out);
}

int
main(void)
{
	char p1[] = "/tmp/remote_svc.XXXXXX", p2[] = "/tmp/remote_svc.XXXXXX";
	int f1 = mkstemp(p1), f2 = mkstemp(p2);

	if (f1 < 0 || f2 < 0)
		return 1;
	(void)unlink(p1);
	(void)unlink(p2);
	t_svc(f1, f2);
	t_refusals(f1);
	t_kept(f1);
	t_path();
	t_records();
	t_with_request(f1);
	return done_testing();
}
