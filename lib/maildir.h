/*
 * maildir.h - Maildir++ delivery, quota and flags (STYLE 11).
 *
 * Names.  maildir_unique() gives "SECONDS.M<usec>P<pid>Q<counter>.<host>"
 * (the Maildir spec's modern form); the host has '/' escaped as \057 and
 * ':' as \072.  A delivered file's name in new/ adds ",S=<size>" so quota
 * can be counted without stat (Courier, Dovecot).  Flags live after ":2,"
 * (the info part): maildir_flags_* parse and format them.
 *
 * Descriptors, not paths.  Every function takes the Maildir as an open
 * folder descriptor (mdfd) and opens tmp/, new/, cur/ and maildirsize
 * under it with openat(O_NOFOLLOW|O_DIRECTORY|O_CLOEXEC); a symlink there
 * is refused (ELOOP or ENOTDIR), so the owner of a Maildir cannot redirect
 * a privileged writer.  maildir_open_path() opens a path one component at
 * a time the same way (no component may be a symlink).
 *
 * Delivery (maildir_deliver_*): a unique name in tmp/ opened O_EXCL
 * (mode 0600), the prefix (headers the caller adds) then the message
 * written, fsync, checked close; the quota checked with the final size
 * (over quota: the tmp file is removed, -1 with errno EDQUOT); rename into
 * new/NAME,S=SIZE; fsync(new/).  Success is returned only after that
 * fsync.  Then "SIZE 1" is appended to maildirsize when a quota is in
 * force (a failure there is reported in *warn_r only: the message is
 * safe, and the next recalculation fixes the count).  maildir_commit()
 * is the second half alone, for a file already in tmp/ (the single-
 * instance store links one there).
 *
 * Quota (Maildir++, as documented by Courier's README.maildirquota and
 * followed by Dovecot): maildirsize's first line is the limit "NNNS,MMMC"
 * (either part may be absent); every other line is "BYTES COUNT" (may be
 * negative).  Usage is the sum of those lines.  The file is recalculated
 * (every message in new/ and cur/ of the Maildir and of each ".Folder"
 * except .Trash, sizes from ",S=" or stat; written as a temp file in tmp/,
 * fsynced and renamed over maildirsize) when it is missing, when it has
 * grown to MAILDIR_SIZE_RECALC bytes, when its limit line differs from the
 * limit in force, or when it says "over quota" and is older than
 * MAILDIR_RECALC_AGE seconds.  A message may be delivered when usage plus
 * its size stays within the byte limit and one more message within the
 * count limit.  A limit of 0 means none; with no limit at all, maildirsize
 * is neither read nor written.
 *
 * Return convention: 0 (or a descriptor) / -1 with errno; parsers return
 * -1 with errno EINVAL.  Output names go in caller-owned sbufs (max at
 * least MAILDIR_NAME_MAX).
 */
#ifndef TERN_MAILDIR_H
#define TERN_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sbuf.h"

#define MAILDIR_NAME_MAX	255	/* NAME_MAX: one file name */
#define MAILDIR_HOST_MAX	64	/* host part of a name, before escaping */
#define MAILDIR_SIZE_RECALC	5120	/* Courier: recalculate at this size */
#define MAILDIR_SIZE_FILE_MAX	(1024 * 1024)	/* maildirsize read limit */
#define MAILDIR_RECALC_AGE	900	/* Courier: 15 minutes */
#define MAILDIR_TMP_TRIES	10	/* unique-name retries on EEXIST */

struct maildir_quota {
	uint64_t	 bytes;		/* 0: no byte limit */
	uint64_t	 count;		/* 0: no message limit */
};

struct maildir_usage {
	int64_t		 bytes;
	int64_t		 count;
};

/* Open a folder path (absolute or relative to the cwd), every component
 * O_NOFOLLOW|O_DIRECTORY. */
int	maildir_open_path(const char *path);
/* One component under dirfd, O_NOFOLLOW|O_DIRECTORY|O_CLOEXEC. */
int	maildir_open_sub(int dirfd, const char *name);
/* Create missing tmp/ new/ cur/ (mode 0700) and fsync mdfd if any was. */
int	maildir_make(int mdfd);
/* The same as root for the account: each folder made is given to uid
 * (with do_chown), so the account's processes can write it. */
int	maildir_make_owned(int mdfd, uid_t uid, int do_chown);
/* Create a missing Maildir at home, for tern-lspawn's first delivery and
 * a first login: its parents (0711, the caller's, each fsynced in its
 * parent), the folder 0700, tmp/ new/ cur/, all given to uid with
 * do_chown; no component may be a symlink.  An existing one is
 * completed, never replaced. */
int	maildir_make_home(const char *home, uid_t uid, int do_chown);

/* Host part for names (gethostname, escaped); cached.  Tests may set it. */
int	maildir_set_host(const char *host);
int	maildir_host_escape(struct sbuf *out, const char *host, size_t n);
/* Append a unique base name to out. */
int	maildir_unique(struct sbuf *out);

/* Open a new file in tmp/ (O_EXCL, 0600); its name in name_r. */
int	maildir_tmp_open(int mdfd, struct sbuf *name_r);
/*
 * Move tmp/NAME into new/NAME,S=SIZE (size appended unless the name has
 * ",S=" already), fsync new/; the new name in newname_r.  With a quota
 * (q != NULL and a limit set), check it first: over quota leaves tmp/NAME
 * in place and returns -1 with EDQUOT; after the move "SIZE 1" is added
 * to maildirsize (failure: *warn_r says so, the call still succeeds).
 */
int	maildir_commit(int mdfd, const char *tmpname, uint64_t size,
	    const struct maildir_quota *q, struct sbuf *newname_r,
	    const char **warn_r);
/* Whole deliveries; prefix may be NULL.  tmp/ is cleaned on failure. */
int	maildir_deliver_buf(int mdfd, const void *prefix, size_t plen,
	    const void *msg, size_t mlen, const struct maildir_quota *q,
	    struct sbuf *name_r, const char **warn_r);
int	maildir_deliver_fd(int mdfd, const void *prefix, size_t plen,
	    int msgfd, const struct maildir_quota *q, struct sbuf *name_r,
	    const char **warn_r);

/* "NNNS,MMMC" (either part optional, at least one). */
int	maildir_quota_parse(const char *, size_t, struct maildir_quota *);
int	maildir_quota_format(struct sbuf *out, const struct maildir_quota *);
/* A whole maildirsize: its limit and the sum of its lines. */
int	maildirsize_parse(const char *, size_t, struct maildir_quota *q_r,
	    struct maildir_usage *u_r);
/* Count the Maildir and rewrite maildirsize for q. */
int	maildir_quota_recalc(int mdfd, const struct maildir_quota *q,
	    struct maildir_usage *u_r);
/* 0: size fits, 1: over quota, -1: error.  Usage (after any
 * recalculation) in u_r. */
int	maildir_quota_check(int mdfd, const struct maildir_quota *q,
	    uint64_t size, struct maildir_usage *u_r);
/* Append "BYTES COUNT" to an existing maildirsize (absent: no-op).  A
 * failed write removes the file (the next check recalculates it). */
int	maildir_quota_add(int mdfd, int64_t bytes, int64_t count);
/* The ",S=" size of a file name: 0, or -1 when it has none. */
int	maildir_name_size(const char *, size_t, uint64_t *size_r);

/*
 * Flags: bit (c - 'A') for 'A'..'Z' (D draft, F flagged, P passed,
 * R replied, S seen, T trashed), bit 26 + (c - 'a') for Dovecot's
 * keyword letters 'a'..'z'.
 */
#define MAILDIR_FLAG(c)	((c) >= 'a' ? 1ULL << (26 + (c) - 'a') : \
	    1ULL << ((c) - 'A'))	/* evaluates c more than once */
/* Length of the base name (before ':'). */
size_t	maildir_base_len(const char *, size_t);
/* Flags of a name: 0 (no info part: no flags), -1 for a bad info part. */
int	maildir_flags_parse(const char *, size_t, uint64_t *flags_r);
/* Append ":2,LETTERS" (ASCII order). */
int	maildir_flags_format(struct sbuf *out, uint64_t flags);
/* out = base of name + ":2," + flags. */
int	maildir_name_set_flags(struct sbuf *out, const char *, size_t,
	    uint64_t flags);

#endif
