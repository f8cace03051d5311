/*
 * mstore.h - an account's IMAP mail store: its folders (Maildir++) and one
 * selected folder with its index.  Used by tern-imapd's post-auth worker,
 * which runs as the account's uid; doc/mstore.md gives the on-disk format.
 *
 * The account root.  mstore_new() takes a descriptor of the Maildir (it
 * dups it); every folder is opened relative to it, one component at a
 * time, with openat(O_NOFOLLOW|O_DIRECTORY), so neither a name nor a
 * symlink planted in the Maildir reaches anything outside it.
 *
 * Names.  Every name passed in or out is a wire name: modified UTF-7
 * (lib/mutf7.h; an IMAP4rev2 server converts UTF-8 first) with the
 * configured hierarchy separator ('/' by default, or '.').  "INBOX" (any
 * case) as the first component is INBOX, the Maildir root itself; it is
 * given back as "INBOX".  Folder "A<sep>B" is the directory ".A.B" of the
 * root, the mUTF-7 bytes kept as they are (Dovecot's LAYOUT=maildir++;
 * "INBOX<sep>x" is ".INBOX.x" as in Dovecot).  A name is refused with
 * EINVAL when it is empty or has an empty component (a leading, trailing
 * or doubled separator), a component "." or "..", a '.' inside a
 * component when the separator is '/' (Maildir++ has no room for it; we
 * refuse rather than escape), a '/' anywhere when the separator is '.',
 * '~', '%' or '*' anywhere, a byte outside 0x20-0x7e, invalid or
 * non-canonical modified UTF-7 (so "&AC8-" cannot smuggle a '/'), a
 * decoded control character, or a directory name longer than NAME_MAX.
 * CREATE's optional trailing separator is the server's to strip.
 *
 * Folders.  A folder exists when its directory has cur/.  A directory
 * without cur/ (a crash during CREATE) and the missing parents of existing
 * folders ("a" when only ".a.b" exists) are listed \Noselect \NonExistent.
 * mstore_create() makes missing parents as real folders too.  Deleting a
 * folder removes its directory (renamed to "..tern-deleted.*" first, so
 * nothing sees half of it); its children stay, which leaves the name
 * \Noselect (RFC 3501 6.3.4).  SPECIAL-USE comes from the names: the
 * top-level folders Drafts, Sent, Trash, Junk and Archive.
 *
 * Our own files (tern-index, tern-cache, dovecot-keywords, subscriptions,
 * message files) are opened O_NOFOLLOW: a symlink planted there is read
 * as absent and replaced, never followed; message files must be regular.
 *
 * Subscriptions: the file "subscriptions" in the root, Dovecot's version 1
 * format (one wire name per line, with the configured separator); a
 * Dovecot version 2 file ("V\t2" header, '\t' between components) is read
 * too.  It is rewritten as temp file + fsync + rename.
 *
 * Selected folder (struct mbox).  mbox_open() is cheap (no scan);
 * mbox_sync() brings the session's view up to date: it scans new/ (always)
 * and cur/ (when its mtime changed), moves new/ files to cur/ adding ":2,",
 * gives new messages UIDs in name order, notices files removed or renamed
 * by others (Dovecot, POP3, another session) and reports what the session
 * must announce.  The view is a sequence-numbered array of messages
 * (mbox_msg()); it changes only in mbox_sync(), mbox_store(),
 * mbox_expunge() and mbox_append()/mbox_copy() into the selected folder
 * (which add nothing to the view: the next sync does).  A file lock
 * (flock on "tern-index.lock") serialises every sync, change and index
 * write across sessions.
 *
 * Flags are the info part of the file name (":2," then the letters in
 * ASCII order: D draft, F flagged, P passed, R replied=\Answered, S seen,
 * T trashed=\Deleted, then keyword letters a-z), so Dovecot and Courier
 * read them.  struct mbox_msg's flags use the same bits as
 * MAILDIR_FLAG('A'..'Z') so letters we do not know (P) survive a STORE;
 * MBOX_F_RECENT and MBOX_F_EXPUNGED are the session's own and never
 * written.  Keyword i is letter 'a' + i, named in the folder's
 * "dovecot-keywords" (lines "i name"); at most MBOX_KEYWORDS_MAX.
 *
 * \Recent: the first session to sync a message gets it as recent (the
 * index keeps the first uid not yet given to a session); read-only
 * sessions see it but do not take it.
 *
 * Return convention: 0 (or a count, a descriptor) on success, -1 with
 * errno; EINVAL for a bad name or argument, ENOENT for a folder or message
 * that does not exist, EEXIST, EPERM (INBOX cannot be deleted), EROFS (a
 * change in a read-only mbox), EDQUOT (over quota), ENOSPC (no keyword
 * letter left), ESTALE (the folder's UIDVALIDITY changed under an open
 * session: the server must end it).  Callbacks return 0 to go on; a
 * non-zero return stops the walk and the function returns it.
 * Ownership: mstore_new/mbox_open give heap objects freed by
 * mstore_free(&p)/mbox_close(&p) (which NULL p); every mbox must be closed
 * before its mstore is freed.  Pointers returned (mbox_msg,
 * mbox_keyword_name, mbox_name) stay valid until the next call that
 * changes that mbox.
 */
#ifndef TERN_MSTORE_H
#define TERN_MSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/maildir.h"

struct sbuf;
struct mstore;
struct mbox;

#define MSTORE_NAME_MAX		1024	/* wire name (the dir is NAME_MAX) */
#define MSTORE_PATTERN_MAX	1024	/* LIST reference + pattern */
#define MSTORE_SUBS_MAX		(1024 * 1024)	/* subscriptions file */
#define MSTORE_FOLDERS_MAX	100000	/* directories read by one LIST */
#define MBOX_KEYWORDS_MAX	26	/* letters a-z */
#define MBOX_KEYWORD_MAX	128	/* bytes in one keyword name */
#define MBOX_MSGS_MAX		10000000	/* messages in one folder */
#define MBOX_CACHE_MAX		(1024 * 1024)	/* one cached string */
#define MBOX_INDEX_MAX		(512 * 1024 * 1024)	/* index file */
#define MBOX_CACHE_FILE_MAX	(1024 * 1024 * 1024)	/* cache file */
#define MBOX_VANISHED_DEFAULT	10000	/* expunged UID ranges remembered
					   per folder (QRESYNC) */

/* LIST attributes (a bit set). */
#define MSTORE_NOSELECT		0x0001	/* \Noselect */
#define MSTORE_NONEXISTENT	0x0002	/* \NonExistent (with NOSELECT) */
#define MSTORE_HASCHILDREN	0x0004
#define MSTORE_HASNOCHILDREN	0x0008
#define MSTORE_SUBSCRIBED	0x0010	/* \Subscribed */
#define MSTORE_DRAFTS		0x0100
#define MSTORE_SENT		0x0200
#define MSTORE_TRASH		0x0400
#define MSTORE_JUNK		0x0800
#define MSTORE_ARCHIVE		0x1000
#define MSTORE_SPECIAL_USE	0x1f00	/* any of the five */

/* mstore_list flags. */
#define MSTORE_LIST_SUBSCRIBED	0x01	/* only subscribed names (LSUB) and
					   the parents that hold them, which
					   lack MSTORE_SUBSCRIBED */
/* LIST-EXTENDED (RFC 5258) selections for mstore_list_multi. */
#define MSTORE_LIST_SUBSCRIBED_ONLY 0x02 /* the subscribed names, existing
					   or not (\NonExistent), no parents */
#define MSTORE_LIST_RECURSIVE	0x04	/* with SUBSCRIBED_ONLY: also names
					   with a subscribed descendant, which
					   get MSTORE_CHILD_SUBSCRIBED */
#define MSTORE_LIST_SPECIAL_ONLY 0x08	/* names with a special-use
					   attribute only */
#define MSTORE_CHILD_SUBSCRIBED	0x0020	/* attribute: CHILDINFO
					   ("SUBSCRIBED") */
#define MSTORE_LIST_PATTERNS	16	/* patterns in one LIST */

/*
 * One LIST answer: a wire name and its attributes.  Names come sorted
 * (byte order, INBOX first), each once.
 */
typedef int mstore_list_cb(void *arg, const char *name, unsigned attrs);

struct mstore_status {
	uint32_t	 messages;
	uint32_t	 recent;
	uint32_t	 uidnext;
	uint32_t	 uidvalidity;
	uint32_t	 unseen;
	uint64_t	 size;		/* sum of sizes on disk */
	uint64_t	 highestmodseq;
	uint32_t	 deleted;	/* with \Deleted (RFC 9051 STATUS) */
};

/* The root: dups rootfd; sep is '/' or '.'. */
int	mstore_new(int rootfd, int sep, struct mstore **ms_r);
void	mstore_free(struct mstore **);
/* Quota applied by append and copy (NULL or zero limits: none). */
int	mstore_set_quota(struct mstore *, const struct maildir_quota *);
int	mstore_sep(const struct mstore *);
/* Expunged UID ranges each folder remembers for QRESYNC (0: the default,
 * MBOX_VANISHED_DEFAULT; EINVAL above 1,000,000). */
int	mstore_set_vanished_max(struct mstore *, size_t);

/* Names.  1 when name is INBOX (any case), 0 when not. */
int	mstore_name_is_inbox(const char *name);
/* Check name; its canonical form ("inbox/x" -> "INBOX/x") in canon_r and
 * its directory (".INBOX.x", or "." for INBOX) in dir_r (either may be
 * NULL). */
int	mstore_name_check(const struct mstore *, const char *name,
	    struct sbuf *canon_r, struct sbuf *dir_r);

/*
 * LIST/LSUB: every name matching ref + pattern ('*' anything, '%'
 * anything but the separator; INBOX matched in any case) with its
 * attributes.  An empty pattern gives nothing (the server answers LIST ""
 * "" itself).
 */
int	mstore_list(struct mstore *, const char *ref, const char *pattern,
	    unsigned flags, mstore_list_cb *cb, void *arg);
/* One name's attributes (MSTORE_NONEXISTENT|MSTORE_NOSELECT if absent). */
int	mstore_attrs(struct mstore *, const char *name, unsigned *attrs_r);
/* CREATE (missing parents created too); EEXIST when it exists. */
int	mstore_create(struct mstore *, const char *name);
/* DELETE; EPERM for INBOX; ENOENT; ENOTEMPTY for a \Noselect name with
 * children.  Subscriptions are left alone (RFC 3501). */
int	mstore_delete(struct mstore *, const char *name);
/* RENAME with children; EEXIST when to exists; EINVAL to move a folder
 * under itself.  Renaming INBOX moves its messages (not its children)
 * into a new folder "to" and leaves INBOX empty (RFC 3501 6.3.5). */
int	mstore_rename(struct mstore *, const char *from, const char *to);
/* SUBSCRIBE/UNSUBSCRIBE (the name need not exist; unsubscribing a name
 * not subscribed is ENOENT). */
int	mstore_subscribe(struct mstore *, const char *name, int on);
/* First login: when there is no subscriptions file yet, create Drafts,
 * Sent, Trash, Junk and Archive and subscribe them and INBOX.  Later
 * calls do nothing (an account that deleted Junk keeps it deleted). */
int	mstore_special_use_init(struct mstore *);
/* STATUS without selecting (from the index when it is current). */
int	mstore_status(struct mstore *, const char *name,
	    struct mstore_status *st_r);

/* ---- Quota, LIST-EXTENDED, CREATE-SPECIAL-USE (imapx). ---- */

/*
 * Quota (RFC 9208): the limit in force (mstore_set_quota) in q_r and the
 * usage from maildirsize (recalculated when tern-local would) in u_r,
 * negative sums read as 0.  Returns 1, 0 when there is no limit (u_r
 * zero, maildirsize untouched), -1 on error.
 */
int	mstore_quota_get(struct mstore *, struct maildir_quota *q_r,
	    struct maildir_usage *u_r);
/*
 * LIST-EXTENDED: mstore_list over several patterns (at most
 * MSTORE_LIST_PATTERNS; empty or too long ones match nothing), each name
 * given once, with the MSTORE_LIST_* selections above.
 */
int	mstore_list_multi(struct mstore *, const char *ref,
	    const char *const *patterns, size_t npatterns, unsigned flags,
	    mstore_list_cb *cb, void *arg);
/*
 * CREATE with special-use attributes (RFC 6154 3): use is a set of
 * MSTORE_DRAFTS..MSTORE_ARCHIVE (others: EINVAL), kept in the folder's
 * directory (file "tern-special-use", so RENAME takes it along) and
 * reported by LIST besides those the default folders have by name.
 */
int	mstore_create_special(struct mstore *, const char *name, unsigned use);
/* 1 when a folder's messages count towards the quota (all but Trash),
 * 0 when not, -1 (EINVAL) for a bad name. */
int	mstore_quota_counts(const struct mstore *, const char *name);

/* ---- One selected folder. ---- */

/* struct mbox_msg flags: the Maildir letter bits, plus the session's. */
#define MBOX_F_DRAFT		(1U << ('D' - 'A'))
#define MBOX_F_FLAGGED		(1U << ('F' - 'A'))
#define MBOX_F_ANSWERED		(1U << ('R' - 'A'))
#define MBOX_F_SEEN		(1U << ('S' - 'A'))
#define MBOX_F_DELETED		(1U << ('T' - 'A'))
#define MBOX_F_IMAP		(MBOX_F_DRAFT | MBOX_F_FLAGGED | \
	    MBOX_F_ANSWERED | MBOX_F_SEEN | MBOX_F_DELETED)
#define MBOX_F_LETTERS		0x03ffffffU	/* 'A'..'Z' */
#define MBOX_F_RECENT		(1U << 30)	/* session only */
#define MBOX_F_EXPUNGED		(1U << 31)	/* gone, not yet announced */

struct mbox_msg {
	uint32_t	 uid;
	uint32_t	 flags;		/* MBOX_F_* */
	uint32_t	 keywords;	/* bit i: keyword i (letter 'a' + i) */
	uint64_t	 modseq;
	uint64_t	 size;		/* bytes in the file */
	int64_t		 date;		/* internal date: the file's mtime;
					   0: not known yet, mbox_msg_date */
};

/* mbox_open flags. */
#define MBOX_RDONLY		0x01	/* EXAMINE: no STORE/EXPUNGE/\Recent */

/* mbox_sync flags. */
#define MBOX_SYNC_NO_EXPUNGE	0x01	/* keep expunged messages in the view
					   (marked MBOX_F_EXPUNGED) and report
					   them at a later sync */

/* What one mbox_sync() found (counts are for this call). */
struct mbox_sync_ops {
	/* A message gone from the folder, highest sequence number first;
	 * seq is valid when called (it is removed from the view after). */
	int	(*expunge)(void *arg, uint32_t seq, uint32_t uid);
	/* Flags or keywords changed by someone else since the last sync
	 * (seq in the new view). */
	int	(*flags)(void *arg, uint32_t seq, const struct mbox_msg *);
};

struct mbox_sync_result {
	uint32_t	 exists;	/* messages in the view after */
	uint32_t	 recent;	/* \Recent in the view after */
	uint32_t	 added;		/* new messages appended to the view */
	uint32_t	 expunged;	/* removed from the view */
	uint32_t	 flag_changes;
	int		 keywords_changed; /* new keyword names: send FLAGS */
};

struct mbox_info {
	uint32_t	 exists;
	uint32_t	 recent;
	uint32_t	 unseen;	/* count without \Seen */
	uint32_t	 first_unseen;	/* seq, 0 when none */
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 highestmodseq;
	int		 is_readonly;
};

/* Open a folder (no scan yet); ENOENT if it does not exist or is
 * \Noselect. */
int	mbox_open(struct mstore *, const char *name, unsigned flags,
	    struct mbox **mb_r);
void	mbox_close(struct mbox **);
/* Canonical wire name. */
const char *mbox_name(const struct mbox *);
/* Rescan; ops and result may be NULL. */
int	mbox_sync(struct mbox *, unsigned flags,
	    const struct mbox_sync_ops *ops, void *arg,
	    struct mbox_sync_result *result_r);
void	mbox_get_info(const struct mbox *, struct mbox_info *info_r);
/* The view: 1 <= seq <= mbox_count(); NULL outside. */
uint32_t mbox_count(const struct mbox *);
const struct mbox_msg *mbox_msg(struct mbox *, uint32_t seq);
/* Sequence number of a uid in the view, 0 when absent. */
uint32_t mbox_seq(struct mbox *, uint32_t uid);
/*
 * A sync that finds the folder unchanged since its index was written
 * (the first sync of a session, and the later ones while that holds)
 * keeps the index mapped and answers from its header and a summary of
 * its records instead of decoding every message; the view is decoded
 * when first needed.  Every mbox_* function that needs it does so itself
 * (mbox_msg and mbox_seq give NULL and 0 if that fails: out of memory);
 * mbox_view_load() does it now, so that a server can answer a failure
 * before a command that reads the view.  0 or -1: ENOMEM, or ESTALE when
 * the index proves damaged (its checksum is checked only then): the
 * session's uids came from it, so it must end; the next one rebuilds it.
 */
int	mbox_view_load(struct mbox *);

/*
 * Modseqs (CONDSTORE, RFC 7162).  Every folder has a highestmodseq kept
 * in its index; it only grows.  A message gets highestmodseq + 1 when it
 * is first indexed (APPEND, COPY, a delivery found by a sync) and when
 * its flags or keywords change (STORE here, a rename by anyone else found
 * by a sync); an expunge (EXPUNGE here, a file removed by anyone else)
 * takes one more and its UIDs are remembered with it.
 *
 * mbox_vanished: QRESYNC's "what vanished since modseq since": the UIDs
 * below the view's UIDNEXT that left the folder with a modseq above since
 * and are not in the session's view, as ascending, disjoint, non-adjacent
 * ranges (*r_r, *n_r; free with mem_free or free).  *exact_r is 0 when the
 * folder no longer remembers expunges that far back: then every UID below
 * the view's UIDNEXT that is not in the view is given (RFC 7162 3.2.5.2
 * allows UIDs the client never knew).  Uses the view and the index as of
 * the last sync (no file access).
 */
struct mbox_uidrange {
	uint32_t	 lo, hi;
};
int	mbox_vanished(struct mbox *, uint64_t since,
	    struct mbox_uidrange **r_r, size_t *n_r, int *exact_r);

/* Keywords of this folder: names of letters 0..MBOX_KEYWORDS_MAX-1
 * (NULL for an unused letter). */
const char *mbox_keyword_name(const struct mbox *, unsigned i);
/* Index of a keyword (case-insensitive); with create, a new name gets the
 * next free letter (written to dovecot-keywords; ENOSPC when all 26 are
 * taken); ENOENT without create; EINVAL for a name that is not an IMAP
 * atom or starts with '\\'. */
int	mbox_keyword_index(struct mbox *, const char *kw, int create,
	    unsigned *idx_r);

/* mbox_store operations. */
enum mbox_store_op {
	MBOX_STORE_SET,		/* FLAGS */
	MBOX_STORE_ADD,		/* +FLAGS */
	MBOX_STORE_REMOVE	/* -FLAGS */
};

/*
 * STORE on the messages with the given uids (ascending; uids not in the
 * view, or expunged, are skipped): only the MBOX_F_IMAP bits of flags
 * count (other letters are kept).  A message whose flags change is
 * renamed and gets a new modseq (an unchanged one keeps its modseq); each
 * message stored is reported to changed with its seq and new state (for
 * the untagged FETCH); one whose modseq is above unchangedsince (when not
 * 0: CONDSTORE) is left alone and reported to modified.  The view is
 * updated; mbox_sync will not report these again.  Callbacks run after
 * the lock is released.
 */
struct mbox_store_ops {
	int	(*changed)(void *arg, uint32_t seq, const struct mbox_msg *);
	int	(*modified)(void *arg, uint32_t seq, uint32_t uid);
};
int	mbox_store(struct mbox *, const uint32_t *uids, size_t n,
	    enum mbox_store_op op, uint32_t flags, uint32_t keywords,
	    uint64_t unchangedsince, const struct mbox_store_ops *ops,
	    void *arg);

/* EXPUNGE: every \Deleted message (uids NULL) or those of uids (UID
 * EXPUNGE) that are \Deleted; cb per message, highest seq first, seq valid
 * when called.  Returns the count expunged. */
int	mbox_expunge(struct mbox *, const uint32_t *uids, size_t n,
	    int (*cb)(void *arg, uint32_t seq, uint32_t uid), void *arg);

/* APPEND.  CRLF line ends become LF; the file is written in tmp/, fsynced,
 * given mtime date (0: now) and renamed into cur/ with its flags; quota
 * (mstore_set_quota) is checked first (EDQUOT).  Keyword names are created
 * as needed.  UIDVALIDITY and the new UID for UIDPLUS. */
struct mbox_append {
	uint32_t		 flags;		/* MBOX_F_IMAP bits */
	const char *const	*keywords;
	size_t			 nkeywords;
	int64_t			 date;		/* 0: now */
};
int	mbox_append(struct mbox *, const void *msg, size_t len,
	    const struct mbox_append *, uint32_t *uidvalidity_r,
	    uint32_t *uid_r);
int	mbox_append_fd(struct mbox *, int fd, const struct mbox_append *,
	    uint32_t *uidvalidity_r, uint32_t *uid_r);

/*
 * COPY the messages of uids (ascending; absent ones skipped) from src into
 * dst (hard link when possible, else a copy), keeping flags (not \Recent),
 * keywords (by name) and internal date.  src_uids_r and dst_uids_r (each
 * room for n) receive the pairs for COPYUID, *n_r their count.
 */
int	mbox_copy(struct mbox *src, const uint32_t *uids, size_t n,
	    struct mbox *dst, uint32_t *uidvalidity_r, uint32_t *src_uids_r,
	    uint32_t *dst_uids_r, size_t *n_r);

/* Descriptor for reading one message (O_RDONLY|O_CLOEXEC); ENOENT if it
 * is gone. */
int	mbox_msg_open(struct mbox *, uint32_t uid);
/* RFC822.SIZE: the size with CRLF line ends (",W=" in the name, or
 * counted once and kept in the index). */
int	mbox_msg_vsize(struct mbox *, uint32_t uid, uint64_t *vsize_r);
/* INTERNALDATE (the file's mtime): the view's date, or, when that is 0
 * (a folder indexed for the first time is not stat'ed per message), the
 * file's mtime, then kept in the view and the index.  A message whose
 * file is gone gets 0. */
int	mbox_msg_date(struct mbox *, uint32_t uid, int64_t *date_r);

/* Cached strings per message (kept in "tern-cache"). */
#define MBOX_CACHE_ENVELOPE	1
#define MBOX_CACHE_BODYSTRUCTURE 2
#define MBOX_CACHE_BODY		3
#define MBOX_CACHE_SORT		4	/* lib/imapsort's record */
#define MBOX_CACHE_KINDS	8	/* kinds are 1..7 */
/* 1 and the string in out (replaced) when cached, 0 when not. */
int	mbox_cache_get(struct mbox *, uint32_t uid, unsigned kind,
	    struct sbuf *out);
/* The same without a copy: *p_r points into the mbox's copy of the
 * cache, valid until the next mbox_cache_put/_put_v or mbox_sync on it
 * (a SORT or THREAD reads 100,000 records this way). */
int	mbox_cache_peek(struct mbox *, uint32_t uid, unsigned kind,
	    const char **p_r, size_t *len_r);
int	mbox_cache_put(struct mbox *, uint32_t uid, unsigned kind,
	    const void *, size_t);
/* Many strings of one kind in one locked append (one write). */
struct mbox_cache_rec {
	uint32_t	 uid;
	const void	*data;
	size_t		 len;
};
int	mbox_cache_put_v(struct mbox *, unsigned kind,
	    const struct mbox_cache_rec *, size_t n);

/* An inotify descriptor watching new/ and cur/ (owned by the mbox): when
 * poll says it is readable, call mbox_watch_drain() then mbox_sync(). */
int	mbox_watch_fd(struct mbox *);
int	mbox_watch_drain(struct mbox *);

#endif
