/*
 * bench/floor.c - the least an SMTP-to-Maildir path within issue 3's rules
 * and DESIGN.md's process model costs on this machine (bench/smtp runs it
 * as the system "floor"; not part of tern, not run by make check).
 *
 *   floor PORT QUEUE MAILROOT WORKERS
 *
 * What it keeps, and nothing more:
 *   - one process per connection (tern-smtpd): a fork of this small
 *     server, which maps no OpenSSL, reads no configuration, looks nothing
 *     up; it has no access to the queue;
 *   - the queue's only writer in other processes (tern-enqueue): WORKERS
 *     long-lived processes take the envelope and the message over a Unix
 *     socket, write them to one queue file, fsync it, rename it into place
 *     (the commit), fsync the queue folder, answer (then the session says
 *     250) and tell the queue manager (one file: fewer fsyncs than
 *     "message, then envelope, each fsynced");
 *   - a queue manager (tern-qmgr), one process: hands each new file to a
 *     delivery process and unlinks it when that says done;
 *   - delivery in WORKERS long-lived processes (tern-local's kept
 *     children): each recipient's Maildir file (Return-Path: and
 *     Delivered-To: first) written in tmp/, fsynced, renamed into new/.
 * What it leaves out: the root launcher, per-account uids, maps, logging,
 * TLS, retries, per-recipient state, header checks, every limit but the
 * buffers'.  So a real system's CPU per message is above this one's;
 * bench/smtp prints both against Postfix's.
 *
 * Recipient user@domain is delivered into MAILROOT/user@domain/, which
 * must exist with tmp/ and new/ (bench/smtp makes them); any other
 * recipient is refused with 550.  Bounded: lines of 1000 bytes, messages
 * of MSG_MAX, RCPT_MAX recipients, a 60 s timeout per session read.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_	1000
#define MSG_MAX		(4 << 20)
#define RCPT_MAX	100
#define ADDR_MAX	256
#define READ_MS		60000

static const char *queue, *mailroot;
static int qdir = -1;		/* QUEUE/new, for its fsync */

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* The session's input: a buffer refilled from fd 0 with a timeout. */
static char in[65536];
static size_t in_off, in_len;

static int
fill(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	ssize_t n;

	if (in_off > 0) {
		memmove(in, in + in_off, in_len - in_off);
		in_len -= in_off;
		in_off = 0;
	}
	if (in_len == sizeof in || poll(&p, 1, READ_MS) != 1)
		return -1;
	n = read(0, in + in_len, sizeof in - in_len);
	if (n <= 0)
		return -1;
	in_len += (size_t)n;
	return 0;
}

/* One line without its CRLF (or LF) into l: its length, or -1. */
static long
getline_(char *l, size_t max)
{
	char *nl;
	size_t n;

	while ((nl = memchr(in + in_off, '\n', in_len - in_off)) == NULL)
		if (fill() < 0)
			return -1;
	n = (size_t)(nl - (in + in_off));
	if (n > 0 && in[in_off + n - 1] == '\r')
		n--;
	if (n >= max)
		return -1;
	memcpy(l, in + in_off, n);
	l[n] = '\0';
	in_off = (size_t)(nl - in) + 1;
	return (long)n;
}

static void
say(const char *s)
{
	size_t n = strlen(s);

	if (write(1, s, n) != (ssize_t)n)
		_exit(0);
}

/* The address inside <...>, checked for size and bytes that would reach
 * a file name; 0 or -1. */
static int
addr(const char *arg, char *out)
{
	const char *lt = strchr(arg, '<'), *gt;
	size_t n, i;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return -1;
	n = (size_t)(gt - lt - 1);
	if (n >= ADDR_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (lt[1 + i] == '/' || (unsigned char)lt[1 + i] <= ' ')
			return -1;
	memcpy(out, lt + 1, n);
	out[n] = '\0';
	return 0;
}

/* Write all of b; 0 or -1. */
static int
writeall(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static char msg[MSG_MAX];

/* DATA up to CRLF.CRLF, dot-stuffing undone; its length or -1. */
static long
data(void)
{
	char l[LINE_MAX_ + 1];
	size_t n = 0;
	long k;

	for (;;) {
		if ((k = getline_(l, sizeof l)) < 0)
			return -1;
		if (k == 1 && l[0] == '.')
			return (long)n;
		if (n + (size_t)k + 2 > sizeof msg)
			return -1;
		memcpy(msg + n, l[0] == '.' ? l + 1 : l,
		    (size_t)k - (l[0] == '.'));
		n += (size_t)k - (l[0] == '.');
		msg[n++] = '\r';
		msg[n++] = '\n';
	}
}

/* Read exactly n bytes (no timeout: our own processes); 0 or -1. */
static int
readall(int fd, char *b, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * The session's hand-over: "LEN\n" and LEN bytes (the envelope lines, an
 * empty line, the message) to an enqueue process, which answers "ok\n"
 * once it is committed.  0 or -1.
 */
static const char *enq_path;

static int
handover(const char *from, char rcpt[][ADDR_MAX], int nr, long len)
{
	static char hdr[RCPT_MAX * (ADDR_MAX + 4) + 2 * ADDR_MAX + 64];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t h, env;
	char ok[3];
	int fd, i, w;

	w = snprintf(hdr + 32, sizeof hdr - 32, "%s\n", from);
	env = (size_t)w;
	for (i = 0; i < nr; i++) {
		w = snprintf(hdr + 32 + env, sizeof hdr - 32 - env, "%s\n",
		    rcpt[i]);
		env += (size_t)w;
	}
	hdr[32 + env++] = '\n';
	/* The length line goes right before the envelope. */
	{
		char l[32];
		int k = snprintf(l, sizeof l, "%zu\n", env + (size_t)len);

		h = 32 - (size_t)k;
		memcpy(hdr + h, l, (size_t)k);
	}
	snprintf(a.sun_path, sizeof a.sun_path, "%s", enq_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    writeall(fd, hdr + h, 32 - h + env) < 0 ||
	    writeall(fd, msg, (size_t)len) < 0 || readall(fd, ok, 3) < 0 ||
	    memcmp(ok, "ok\n", 3) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
session(void)
{
	char l[LINE_MAX_ + 1], from[ADDR_MAX], rcpt[RCPT_MAX][ADDR_MAX];
	char path[ADDR_MAX + 512];
	struct stat st;
	int nr = 0, have_from = 0;
	long len;

	say("220 floor ESMTP\r\n");
	while (getline_(l, sizeof l) >= 0) {
		if (strncasecmp(l, "EHLO", 4) == 0)
			say("250-floor\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
		else if (strncasecmp(l, "HELO", 4) == 0)
			say("250 floor\r\n");
		else if (strncasecmp(l, "MAIL FROM:", 10) == 0) {
			if (addr(l + 10, from) < 0) {
				say("501 bad address\r\n");
				continue;
			}
			have_from = 1;
			nr = 0;
			say("250 ok\r\n");
		} else if (strncasecmp(l, "RCPT TO:", 8) == 0) {
			if (!have_from || nr == RCPT_MAX ||
			    addr(l + 8, rcpt[nr]) < 0) {
				say("503 no\r\n");
				continue;
			}
			snprintf(path, sizeof path, "%s/%s/new", mailroot,
			    rcpt[nr]);
			if (stat(path, &st) < 0) {
				say("550 5.1.1 no such user\r\n");
				continue;
			}
			nr++;
			say("250 ok\r\n");
		} else if (strncasecmp(l, "DATA", 4) == 0) {
			if (nr == 0) {
				say("503 no recipients\r\n");
				continue;
			}
			say("354 go\r\n");
			if ((len = data()) < 0)
				_exit(0);
			if (handover(from, rcpt, nr, len) < 0)
				say("451 cannot queue\r\n");
			else
				say("250 queued\r\n");
			have_from = 0;
			nr = 0;
		} else if (strncasecmp(l, "RSET", 4) == 0) {
			have_from = 0;
			nr = 0;
			say("250 ok\r\n");
		} else if (strncasecmp(l, "QUIT", 4) == 0) {
			say("221 bye\r\n");
			_exit(0);
		} else
			say("502 no\r\n");
	}
	_exit(0);
}

/*
 * An enqueue process: per connection, the file written, fsynced, renamed
 * into new/, new/ fsynced; "ok"; then "n ID" to the queue manager.
 */
static void
enqueuer(int ls, int qm)
{
	static char buf[MSG_MAX + RCPT_MAX * (ADDR_MAX + 4) + ADDR_MAX + 8];
	char tmp[512], dst[512], id[128], l[32];
	unsigned long seq = 0;
	struct timespec ts;
	size_t n, k;
	int c, fd, ok;

	for (;;) {
		if ((c = accept(ls, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		/* The length line, a byte at a time (at most 31). */
		for (k = 0; k < sizeof l - 1; k++)
			if (read(c, l + k, 1) != 1 || l[k] == '\n')
				break;
		l[k] = '\0';
		n = strtoul(l, NULL, 10);
		ok = n > 0 && n <= sizeof buf && readall(c, buf, n) == 0;
		if (ok) {
			clock_gettime(CLOCK_REALTIME, &ts);
			snprintf(id, sizeof id, "%ld.%ld.%d.%lu",
			    (long)ts.tv_sec, ts.tv_nsec, (int)getpid(), ++seq);
			snprintf(tmp, sizeof tmp, "%s/tmp/%s", queue, id);
			snprintf(dst, sizeof dst, "%s/new/%s", queue, id);
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
			ok = fd >= 0 && writeall(fd, buf, n) == 0 &&
			    fsync(fd) == 0 && close(fd) == 0 &&
			    rename(tmp, dst) == 0 && fsync(qdir) == 0;
		}
		if (ok && writeall(c, "ok\n", 3) == 0) {
			char m[sizeof id + 2];
			int mn = snprintf(m, sizeof m, "n %s", id);

			if (send(qm, m, (size_t)mn, 0) < 0)
				_exit(1);
		}
		close(c);
	}
}

/* A delivery process: one queue file per request; "d ID" when done. */
static void
deliver_one(const char *id, unsigned long *seq)
{
	static char buf[MSG_MAX + RCPT_MAX * (ADDR_MAX + 4) + ADDR_MAX + 8];
	char qpath[512], tmp[1024], dst[1024], hdr[2 * ADDR_MAX + 64];
	char *p, *end, *from, *body;
	size_t n = 0;
	ssize_t r;
	int fd, h;

	snprintf(qpath, sizeof qpath, "%s/new/%s", queue, id);
	if ((fd = open(qpath, O_RDONLY)) < 0)
		return;
	while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) > 0)
		n += (size_t)r;
	close(fd);
	end = buf + n;
	if ((body = memmem(buf, n, "\n\n", 2)) == NULL)
		return;
	*body = '\0';
	body += 2;
	from = buf;
	if ((p = strchr(from, '\n')) == NULL)
		return;
	*p++ = '\0';
	while (p < body - 1) {
		char *rc = p, *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl = '\0';
		p = nl != NULL ? nl + 1 : body;
		h = snprintf(hdr, sizeof hdr,
		    "Return-Path: <%s>\r\nDelivered-To: %s\r\n", from, rc);
		snprintf(tmp, sizeof tmp, "%s/%s/tmp/%s.%lu", mailroot, rc, id,
		    ++*seq);
		snprintf(dst, sizeof dst, "%s/%s/new/%s.%lu", mailroot, rc, id,
		    *seq);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
			die("open maildir");
		if (writeall(fd, hdr, (size_t)h) < 0 ||
		    writeall(fd, body, (size_t)(end - body)) < 0 ||
		    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, dst) < 0)
			die("maildir");
	}
}

static void
deliverer(int req, int qm)
{
	char id[129], m[132];
	unsigned long seq = 0;
	ssize_t n;
	int mn;

	for (;;) {
		n = recv(req, id, sizeof id - 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(0);
		}
		id[n] = '\0';
		deliver_one(id, &seq);
		mn = snprintf(m, sizeof m, "d %s", id);
		if (send(qm, m, (size_t)mn, 0) < 0)
			_exit(1);
	}
}

/*
 * The queue manager: "n ID" goes to a delivery process, "d ID" is
 * unlinked.  The IDs wait in a ring of its own, never in a blocking send:
 * a manager blocked on full delivery processes that are blocked on it
 * would be a deadlock.
 */
#define RING	65536
#define ID_MAX	128
static char ring[RING][ID_MAX];

static void
qmgr(int in, int req)
{
	char m[ID_MAX + 4], path[512];
	size_t head = 0, tail = 0;
	ssize_t n;

	if (fcntl(req, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = in, .events = tail - head < RING ? POLLIN : 0 },
			{ .fd = req, .events = head != tail ? POLLOUT : 0 },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		while (head != tail) {
			const char *id = ring[head % RING];

			if (send(req, id, strlen(id), 0) < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				_exit(1);
			}
			head++;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		n = recv(in, m, sizeof m - 1, MSG_DONTWAIT);
		if (n <= 2) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			_exit(n == 0 ? 0 : 1);
		}
		m[n] = '\0';
		if (m[0] == 'n' && n - 2 < ID_MAX) {
			memcpy(ring[tail % RING], m + 2, (size_t)n - 1);
			tail++;
		} else if (m[0] == 'd') {
			snprintf(path, sizeof path, "%s/new/%s", queue, m + 2);
			if (unlink(path) < 0)
				die("unlink");
		}
	}
}

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A decimal argument in [lo, hi], or exit 2. */
static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "floor: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* Fork a helper running fn; its pid (the caller keeps the count). */
static pid_t
helper(void (*fn)(int, int), int a, int b, int *close_me, int nclose)
{
	pid_t pid;
	int i;

	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		for (i = 0; i < nclose; i++)
			close(close_me[i]);
		fn(a, b);
		_exit(0);
	}
	return pid;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_term };
	static char path[512], sock[sizeof u.sun_path];
	int ls, es, one = 1, qs[2], ds[2], i, workers, np = 0;
	pid_t pids[2 * 64 + 1];

	if (argc != 5)
		return 2;
	queue = argv[2];
	mailroot = argv[3];
	workers = (int)num(argv[4], 1, 64);
	snprintf(path, sizeof path, "%s/new", queue);
	if ((qdir = open(path, O_RDONLY | O_DIRECTORY)) < 0)
		die(path);
	snprintf(sock, sizeof sock, "%s/enq.sock", queue);
	enq_path = sock;
	unlink(sock);
	memcpy(u.sun_path, sock, strlen(sock) + 1);
	if ((es = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(es, (struct sockaddr *)&u, sizeof u) < 0 ||
	    listen(es, 128) < 0)
		die("enqueue socket");
	/* qs: to the queue manager; ds: its requests to the deliverers. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, qs) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ds) < 0)
		die("socketpair");
	{
		int c1[] = { qs[0], ds[1], es };
		int c2[] = { qs[1], ds[0], es };
		int c3[] = { qs[1], ds[0], ds[1] };

		pids[np++] = helper(qmgr, qs[1], ds[0], c1, 3);
		for (i = 0; i < workers; i++)
			pids[np++] = helper(deliverer, ds[1], qs[0], c2, 3);
		for (i = 0; i < workers; i++)
			pids[np++] = helper(enqueuer, es, qs[0], c3, 3);
	}
	close(es);
	close(qs[0]);
	close(qs[1]);
	close(ds[0]);
	close(ds[1]);
	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_port = htons((unsigned short)num(argv[1], 1, 65535));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(ls, 128) < 0)
		die("bind/listen");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		int c;
		pid_t pid;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			continue;
		if (poll(&p, 1, 200) != 1)
			continue;
		if ((c = accept(ls, NULL, NULL)) < 0)
			continue;
		if ((pid = fork()) == 0) {
			close(ls);
			if (dup2(c, 0) < 0 || dup2(c, 1) < 0)
				_exit(1);
			close(c);
			session();
		}
		close(c);
	}
	for (i = 0; i < np; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0)
		continue;
	unlink(sock);
	return 0;
}
