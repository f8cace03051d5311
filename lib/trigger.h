/*
 * trigger.h - the queue manager's wake-up FIFO, queue_dir/trigger
 * (doc/queue.md "Waking the queue manager").
 *
 * Writers (tern-enqueue, tern-mailq) open it O_WRONLY|O_NONBLOCK and write
 * one short command in a single write (at most PIPE_BUF bytes, so it is
 * never interleaved with another writer's):
 *   any byte but 'F', 'D', 'n' wake up: new mail somewhere, scan for it
 *   'n' then a queue id in     new mail: that message was just committed
 *   lower case                 (tern-enqueue; QID_LEN characters; lower
 *                              case so that a reader without 'n' sees
 *                              only wake bytes, never 'F' or 'D')
 *   'F'                        flush: retry every message now
 *   'D' then a queue id        delete that message (QID_LEN characters)
 * trigger_send() does that; with no reader (ENXIO: tern-qmgr is not
 * running) or a full FIFO (EAGAIN) it fails with that errno.
 *
 * The reader (tern-qmgr) calls trigger_open() once: it creates the FIFO
 * when missing (mode 0600, or 0620 with group_write so a group may poke
 * it), refuses anything that is not a FIFO, and opens it
 * O_RDWR|O_NONBLOCK|O_CLOEXEC so it never sees end of file.  It feeds the
 * bytes it reads to trigger_feed(), a byte-at-a-time parser: a 'D' or
 * 'n' followed by anything but a valid id is dropped (counted as a wake,
 * so a broken 'n' still makes the reader scan for the new mail).
 *
 * Return convention: 0 or a descriptor, -1 with errno.
 */
#ifndef TERN_TRIGGER_H
#define TERN_TRIGGER_H

#include <stddef.h>

#include "lib/qid.h"

#define TRIGGER_NAME	"trigger"

enum trigger_event {
	TRIGGER_NONE = 0,	/* no complete command yet */
	TRIGGER_WAKE,
	TRIGGER_FLUSH,
	TRIGGER_DELETE,		/* id in the parser's id field */
	TRIGGER_NEW		/* id in the parser's id field */
};

struct trigger_parser {
	size_t	 n;		/* id characters after a 'D'; 0: none */
	int	 in_id;	/* 'D' or 'n' read, its id pending; 0: none */
	char	 id[QID_LEN + 1];
};

int	trigger_open(const char *queue_dir, int group_write);
int	trigger_send(const char *queue_dir, const void *cmd, size_t len);
void	trigger_parser_init(struct trigger_parser *);
enum trigger_event trigger_feed(struct trigger_parser *, unsigned char c);

#endif
