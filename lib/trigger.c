/*
 * trigger.c - the queue manager's wake-up FIFO (trigger.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/qid.h"
#include "lib/sbuf.h"
#include "lib/trigger.h"

#define TRIGGER_PATH_MAX	4096

static int
trigger_path(const char *queue_dir, struct sbuf *p)
{
	return sbuf_printf(p, "%s/%s", queue_dir, TRIGGER_NAME);
}

int
trigger_open(const char *queue_dir, int group_write)
{
	struct sbuf p;
	struct stat st;
	mode_t mode = group_write ? 0620 : 0600;
	int fd = -1;

	sbuf_init(&p, TRIGGER_PATH_MAX);
	if (trigger_path(queue_dir, &p) < 0)
		goto out;
	if (mkfifo(p.s, mode) < 0 && errno != EEXIST)
		goto out;
	fd = open(p.s, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISFIFO(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		goto fail;
	goto out;
fail:
	(void)io_close(&fd);	/* reporting the first error */
out:
	sbuf_fini(&p);
	return fd;
}

int
trigger_send(const char *queue_dir, const void *cmd, size_t len)
{
	struct sbuf p;
	struct stat st;
	ssize_t n;
	int fd, r = -1;

	if (len == 0 || len > PIPE_BUF) {
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&p, TRIGGER_PATH_MAX);
	if (trigger_path(queue_dir, &p) < 0)
		goto out;
	fd = open(p.s, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		(void)close(fd);
		goto out;
	}
	if (!S_ISFIFO(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		goto out;
	}
	n = io_write(fd, cmd, len);
	if (n >= 0 && (size_t)n != len)
		errno = EAGAIN;		/* cannot happen for <= PIPE_BUF */
	r = n >= 0 && (size_t)n == len ? 0 : -1;
	(void)close(fd);		/* nothing durable written */
out:
	sbuf_fini(&p);
	return r;
}

void
trigger_parser_init(struct trigger_parser *tp)
{
	memset(tp, 0, sizeof(*tp));
}

/*
 * An id character of the command: 'D' takes the id as it is ([0-9A-Z]);
 * 'n' takes it in lower case ([0-9a-z], stored upper case), so a reader
 * older than 'n' sees only wake bytes in it, never an 'F' (a flush) or a
 * 'D' that would take the next 16 bytes for an id to delete.
 */
static int
id_char(int cmd, unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c;
	if (cmd == 'D')
		return c >= 'A' && c <= 'Z' ? c : -1;
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : -1;
}

enum trigger_event
trigger_feed(struct trigger_parser *tp, unsigned char c)
{
	int cmd, u;

	if (tp->in_id != 0) {
		if ((u = id_char(tp->in_id, c)) == -1) {
			/* A broken command: drop it, and let c start anew. */
			trigger_parser_init(tp);
			if (c == 'F')
				return TRIGGER_FLUSH;
			if (c == 'D' || c == 'n')
				tp->in_id = c;
			return TRIGGER_WAKE;
		}
		tp->id[tp->n++] = (char)u;
		if (tp->n < QID_LEN)
			return TRIGGER_NONE;
		tp->id[QID_LEN] = '\0';
		cmd = tp->in_id;
		tp->in_id = 0;
		tp->n = 0;
		if (!qid_valid(tp->id, QID_LEN))
			return TRIGGER_WAKE;
		return cmd == 'D' ? TRIGGER_DELETE : TRIGGER_NEW;
	}
	switch (c) {
	case 'D':
	case 'n':
		tp->in_id = c;
		tp->n = 0;
		return TRIGGER_NONE;
	case 'F':
		return TRIGGER_FLUSH;
	default:
		return TRIGGER_WAKE;
	}
}
