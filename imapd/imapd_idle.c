/*
 * imapd_idle.c - IDLE (RFC 2177).  After "+ idling" the worker waits on
 * two descriptors: the client channel (for DONE) and the selected
 * folder's inotify descriptor (lib/mstore), so a delivered message is
 * announced as soon as tern-local renames it into new/.  A resync also
 * runs every IDLE_POLL_MS in case an event was missed (a file system
 * without inotify).  The whole IDLE lasts at most imap_idle_timeout; then
 * the server says BYE (clients re-IDLE every 29 minutes).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define IDLE_POLL_MS	30000	/* resync without an event */
#define IDLE_LINE_MAX	1024	/* "DONE" */

/* Wait for input or a change: 1 client input, 0 a change or the poll
 * interval, -1 error, -2 the IDLE's time is up. */
static int
idle_wait(struct imap *s, int64_t deadline)
{
	struct pollfd pf[2];
	int64_t left;
	int n = 1, r, wfd = s->mb != NULL ? mbox_watch_fd(s->mb) : -1;

	if (bio_pending(s->b) > 0)
		return 1;
	left = deadline - io_now_ms();
	if (left <= 0)
		return -2;
	if (left > IDLE_POLL_MS)
		left = IDLE_POLL_MS;
	pf[0].fd = bio_rfd(s->b);
	pf[0].events = POLLIN;
	if (wfd >= 0) {
		pf[1].fd = wfd;
		pf[1].events = POLLIN;
		n = 2;
	}
	r = poll(pf, (nfds_t)n, (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r > 0 && pf[0].revents != 0)
		return 1;
	if (n == 2 && pf[1].revents != 0 && mbox_watch_drain(s->mb) < 0)
		log_warn_sys("account=%s inotify", log_esc_s(s->user));
	return 0;
}

int
imap_cmd_idle(struct imap *s)
{
	struct sbuf line;
	int64_t deadline = io_deadline_ms(s->idle_ms);
	int r, eol, k;

	if (s->pc.nargs != 0)
		return imap_bad(s, "IDLE takes no arguments");
	/* Watch first, then sync and answer: a message delivered after the
	 * sync is an inotify event, not a wait for the next poll (the
	 * client may deliver the moment it reads "+ idling"). */
	if (s->mb != NULL && mbox_watch_fd(s->mb) < 0)
		log_warn_sys("account=%s inotify", log_esc_s(s->user));
	if (imap_updates(s, UPD_ALL) < 0 || imap_out(s, "+ idling") < 0 ||
	    bio_flush(s->b) < 0)
		return -1;
	for (;;) {
		r = idle_wait(s, deadline);
		if (r == -2) {
			(void)imap_out(s, "* BYE IDLE for too long");
			return -1;
		}
		if (r < 0)
			return -1;
		if (r == 1)
			break;
		if (imap_updates(s, UPD_ALL) < 0 || bio_flush(s->b) < 0)
			return -1;
	}
	sbuf_init(&line, IDLE_LINE_MAX);
	k = bio_getline(s->b, &line, IDLE_LINE_MAX, &eol);
	r = k == BIO_OK && line.len == 4 && strncasecmp(line.s, "DONE", 4) == 0;
	sbuf_fini(&line);
	if (k == BIO_EOF || (k < 0 && k != BIO_TOOLONG))
		return -1;
	if (!r)
		return imap_bad(s, "Expected DONE");
	return imap_ok(s, "IDLE");
}
