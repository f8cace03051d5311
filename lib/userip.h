/*
 * userip.h - the most sessions one account may have open from one client
 * address, per service (Dovecot's mail_max_userip_connections; IMAP and
 * POP3 count apart).
 *
 * The slots are byte-range locks.  A root-only folder (mode 0700, made by
 * userip_open) holds a 16-byte random key ("key", 0600) and one lock file
 * per service ("SERVICE.slots", never written: the locks lie past its
 * end).  The slots of (service, user, ip) are the bytes base .. base +
 * max - 1, base taken from SipHash-2-4(key, service NUL user NUL ip)
 * (lib/siphash: no OpenSSL, so the static login monitor can link it):
 * keyed, so no client can choose a user name whose slots meet another
 * account's.  userip_take() opens the lock file read-only and takes an
 * open-file-description read lock (F_OFD_SETLK) on the first byte no one
 * holds; "is it free" and "take it" are one step under a mutex (a write
 * lock on byte USERIP_MUTEX through a second, writable descriptor that is
 * closed before it returns).  The session's process thus holds a
 * read-only descriptor: it cannot write to or grow the file.  The lock
 * belongs to that open file, not to a process, so it is kept across fork() and
 * execve() by every copy of the returned descriptor (which is NOT
 * close-on-exec) and the kernel drops it when the last copy is closed:
 * when the session's process ends, however it ends, the slot is free.  A
 * crash never leaks a slot, and nothing is ever written or cleaned.
 *
 * Contract: userip_open(dir) makes dir (0700) if missing and reads or
 * makes its key; -1 (errno) on failure.  userip_take(): 0 and *fd_r the
 * slot's descriptor (to be kept open for the session, by the process that
 * becomes the session: a program that closes its unknown descriptors at
 * start frees the slot), or *fd_r -1 when max is 0 (no limit); 1 when the
 * max slots are all held (refuse the login); -1 (errno) on error (the
 * caller decides; tern lets the session in and logs it).  Nothing here
 * prints or exits.  userip_close() frees the handle, not the slots.
 */
#ifndef TERN_USERIP_H
#define TERN_USERIP_H

#include <sys/types.h>

#define USERIP_KEY_LEN		16	/* SIPHASH_KEY_LEN */
#define USERIP_MAX		1024	/* slots per (service, user, ip) */
#define USERIP_NAME_MAX		64	/* service name */
#define USERIP_MUTEX		((off_t)1 << 62)	/* past every slot */

struct userip {
	int		 dirfd;
	unsigned char	 key[USERIP_KEY_LEN];
};

int	userip_open(const char *dir, struct userip *);
int	userip_take(struct userip *, const char *service, const char *user,
	    const char *ip, unsigned max, int *fd_r);
void	userip_close(struct userip *);

#endif
