/*
 * mvstream.h - a Maildir as one byte stream, for tern-user move (doc/move.md).
 *
 * mvstream_send() walks a Maildir (recursively, without following any
 * symlink or leaving the file system) and writes every directory and
 * regular file with its mode and mtime; the contents of tmp/ folders are
 * left out (deliveries in progress), as are symlinks, devices, FIFOs and
 * sockets.  mvstream_recv() reads such a stream into an empty directory,
 * creating each file O_EXCL|O_NOFOLLOW, fsyncing each file and then each
 * directory, giving everything to uid:gid when do_chown, and setting the
 * mtimes (directories last, so the IMAP index's view of cur/ stays
 * valid).  Hard links in the source (the single-instance store) arrive
 * as separate files.
 *
 * The stream, everything in ASCII except the path and data bytes:
 *   "TERNMV1\n"
 *   "D MODE SEC NSEC PATHLEN\n" PATH               a directory
 *   "F MODE SEC NSEC SIZE PATHLEN\n" PATH DATA     a regular file
 *   "E FILES BYTES\n"                              the end: the counts
 * MODE is octal (permission bits only), the numbers decimal; PATH is
 * relative, its components separated by '/', none empty, "." or "..",
 * no NUL; a directory comes before anything inside it.  The reader
 * refuses anything else, a path too long or too deep, a file beyond
 * MVSTREAM_FILE_MAX, counts that disagree with the END record, or bytes
 * after it (EPROTO, with a static message in *why_r).
 *
 * Return convention: 0, or -1 with errno set (and *why_r for the reader);
 * stats (may be NULL) count files and bytes.
 */
#ifndef TERN_MVSTREAM_H
#define TERN_MVSTREAM_H

#include <stdint.h>
#include <sys/types.h>

#define MVSTREAM_PATH_MAX	1024		/* one relative path */
#define MVSTREAM_DEPTH_MAX	32		/* folder nesting */
#define MVSTREAM_HEADER_MAX	128		/* one header line */
#define MVSTREAM_FILE_MAX	(4ULL << 30)	/* one message file */

struct mvstream_stats {
	uint64_t	 files, dirs, bytes;
};

int	mvstream_send(int dirfd, int outfd, struct mvstream_stats *);
int	mvstream_recv(int infd, int dirfd, int do_chown, uid_t, gid_t,
	    struct mvstream_stats *, const char **why_r);

#endif
