/*
 * selfpipe.h - signals turned into readable bytes for one poll() loop.
 *
 * selfpipe_init() installs a handler for each listed signal; the handler
 * only sets a flag and writes one byte to a non-blocking, close-on-exec
 * pipe (errno preserved), so the caller polls selfpipe_fd() with its other
 * descriptors and does the work outside the handler (STYLE 10).  A full
 * pipe loses bytes, never signals: the flags are the truth.
 * selfpipe_caught(sig) tells, and clears, whether sig arrived since the
 * last call; selfpipe_drain() empties the pipe.  selfpipe_fini() puts the
 * default dispositions back and closes the pipe (for a child after fork).
 *
 * One self-pipe per process.  Return convention: 0 / -1 with errno.
 */
#ifndef TERN_SELFPIPE_H
#define TERN_SELFPIPE_H

#include <stddef.h>

int	selfpipe_init(const int *sigs, size_t n);
int	selfpipe_fd(void);
void	selfpipe_drain(void);
int	selfpipe_caught(int sig);
void	selfpipe_fini(void);

#endif
