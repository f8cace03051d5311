/*
 * mstore_int.h - lib/mstore's internals shared by its files and its fuzz
 * target; nothing outside lib/mstore*.c and t/ includes this.
 *
 * The index ("tern-index" in the folder's directory), little-endian:
 *   header  "TERNIDX3", u32 uidvalidity, u32 uidnext, u32 first_recent,
 *           u32 count, u64 highestmodseq, i64 cur_sec, i64 cur_nsec
 *   count records: u32 uid, u32 flags, u32 keywords, u16 namelen,
 *           u16 zero, u64 modseq, u64 size, u64 vsize, i64 date, name
 *   expunged: u32 nvan, u32 zero, u64 van_floor,
 *           nvan ranges: u32 lo, u32 hi, u64 modseq
 *   trailer "END1", u64 checksum of every byte before the trailer
 *           (midx_checksum: four word lanes for TERNIDX3, FNV-1a for
 *           the older versions).
 * midx_parse() accepts exactly that and nothing else: uids strictly
 * rising and below uidnext, modseqs within 1..highestmodseq, names that
 * are plain Maildir base names, expunged ranges with 1 <= lo <= hi <
 * uidnext and modseqs rising within van_floor+1..highestmodseq, no byte
 * left over.  A "TERNIDX1" file (no expunged section; written before
 * QRESYNC) is read too, with van_floor = highestmodseq (nothing earlier
 * is remembered), and a "TERNIDX2" file (TERNIDX3's layout, checksummed
 * with byte-serial FNV-1a); midx_format() always writes "TERNIDX3".
 *
 * The expunged ranges (QRESYNC, RFC 7162 3.2.5): every UID that left the
 * index is remembered in a range with the modseq of its expunge, in the
 * order of those modseqs.  A range may cover UIDs expunged earlier (never
 * one still present).  At most ix->van_max ranges are kept; past that the
 * oldest are dropped and van_floor rises to the modseq of the last one
 * dropped: a client whose modseq is below van_floor gets a conservative
 * answer (every UID not present), which the RFC allows.
 */
#ifndef TERN_MSTORE_INT_H
#define TERN_MSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/mstore.h"

#define MIDX_MAGIC		"TERNIDX3"
#define MIDX_MAGIC_V2		"TERNIDX2"
#define MIDX_MAGIC_V1		"TERNIDX1"
#define MIDX_TRAILER		"END1"
#define MIDX_HDR_LEN		48
#define MIDX_REC_LEN		48
#define MIDX_TRL_LEN		12
#define MIDX_VANHDR_LEN		16
#define MIDX_VAN_LEN		16
#define MIDX_VAN_FILE_MAX	1000000	/* ranges a reader accepts */
#define MBOX_LAZY_DATE_MIN	256	/* new messages in one scan from which
					   their dates are learnt lazily */
#define MSTORE_INDEX		"tern-index"
#define MSTORE_LOCK		"tern-index.lock"
#define MSTORE_SPARE		"tern-index.spare"	/* the one before */
#define MSTORE_CACHE		"tern-cache"
#define MSTORE_KEYWORDS		"dovecot-keywords"
#define MSTORE_SUBS		"subscriptions"
#define MSTORE_KW_FILE_MAX	(64 * 1024)
#define MSTORE_DELETED		"..tern-deleted."

struct midx_rec {
	uint32_t	 uid;
	uint32_t	 flags;		/* MBOX_F_LETTERS bits */
	uint32_t	 keywords;
	uint64_t	 modseq;
	uint64_t	 size;
	uint64_t	 vsize;		/* 0: not known */
	int64_t		 date;
	char		*name;		/* base name (no ":2,") */
};

struct midx_van {
	uint32_t	 lo, hi;	/* UIDs expunged ... */
	uint64_t	 modseq;	/* ... at this modseq */
};

struct midx {
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint32_t	 first_recent;
	uint64_t	 highestmodseq;
	int64_t		 cur_sec;	/* cur/ mtime when fully seen; 0: */
	int64_t		 cur_nsec;	/* rescan cur/ next time */
	struct midx_rec	*recs;		/* by uid */
	size_t		 n;
	size_t		 cap;
	struct midx_van	*van;		/* by modseq */
	size_t		 nvan;
	size_t		 capvan;
	uint64_t	 van_floor;	/* expunges up to it are forgotten */
	size_t		 van_max;	/* not stored: 0 is MBOX_VANISHED_DEFAULT */
	char		*names;		/* midx_parse's names, one block; */
	size_t		 names_len;	/* a name there is not freed alone */
};

/*
 * What a warm SELECT needs of an index file without decoding its records
 * (midx_summary): their count, those at or above first_recent, those
 * without \Seen and the position of the first, those with \Deleted and
 * the sum of their sizes (STATUS).
 */
struct midx_sum {
	uint32_t	 count;
	uint32_t	 recent;
	uint32_t	 unseen;
	uint32_t	 first_unseen;	/* position + 1, 0: none */
	uint32_t	 deleted;
	uint64_t	 size;
};

struct mstore {
	int		 rootfd;
	int		 sep;
	size_t		 van_max;	/* expunged ranges kept per folder */
	struct maildir_quota quota;
};

struct mbox_cache_ent;

struct mbox {
	struct mstore	*ms;
	char		*name;		/* canonical wire name */
	int		 dirfd;
	int		 curfd;
	int		 lockfd;
	int		 idxfd;		/* the index read or written last: held
					   open so its inode is not reused */
	int		 watchfd;
	int		 locked;
	unsigned	 flags;		/* MBOX_RDONLY */
	int		 is_trash;	/* not counted in quota */
	int		 have_ix;
	int		 ix_dirty;	/* vsizes, dates learnt, not written */
	int		 ix_fresh;	/* made anew (new UIDVALIDITY), not yet
					   written: written without fsync */
	int		 synced;	/* the view has a uidvalidity */
	uint32_t	 uidvalidity;	/* the view's */
	struct midx	 ix;		/* the index as of the last lock */
	uint32_t	 view_uidnext;	/* ix.uidnext when the view was made */
	/*
	 * The view holds everything ix says (the last merge kept no
	 * message marked expunged) and ix has not changed since: a sync
	 * whose refresh changes nothing skips the merge, an O(n) walk of
	 * both.  Cleared by every change to ix: a write of the index (every
	 * change by this session ends in one), a reread of the file.
	 */
	int		 view_current;
	uint32_t	 view_recent;	/* \Recent in the view, when current */
	struct mbox_msg	*view;
	size_t		 nview;
	size_t		 capview;
	char		*kw[MBOX_KEYWORDS_MAX];
	struct mbox_cache_ent *cache;	/* hash of (uid, kind) */
	size_t		 ncache;
	size_t		 capcache;	/* power of 2 */
	struct sbuf	 cachebuf;	/* the file as read and appended */
	int		 cache_loaded;
	ino_t		 cache_ino;	/* the file cachebuf mirrors */
	/*
	 * The lazy view.  A sync that finds the index current (the file
	 * idxfd, new/ empty, cur/'s mtime the one it records, no \Recent to
	 * take) answers from midx_summary and keeps the file mapped instead
	 * of decoding every record: a SELECT of 10,000 messages then touches
	 * no memory per message.  mbox_view_load() decodes the mapping into
	 * ix and the view (the snapshot the session was given, however the
	 * file changed since); every function that reads ix or the view
	 * calls it first.  While lazy, ix is empty (have_ix 0).
	 */
	int		 lazy;
	void		*lz_map;	/* the index file as of the sync */
	size_t		 lz_len;
	struct midx	 lz_hdr;	/* its header (no records) */
	struct midx_sum	 lz_sum;
};

/* mstore_create with the root's fsync left to the caller (sync_root 0:
 * several folders made, one fsync of the root after them). */
int	mstore_create_sync(struct mstore *, const char *name, int sync_root);
int	mbox_lock(struct mbox *);
/* The first sync of a session, or a STATUS (under the lock): when the
 * index is current (new/ empty, cur/ with the settled mtime it records)
 * and leaves no \Recent to take (any, for MBOX_RDONLY), map it and take
 * its summary (mb->lazy, lz_*).  1 when the view is now lazy, 0 when the
 * full sync must run, -1 error. */
int	mbox_lazy_try(struct mbox *);
void	mbox_unlock(struct mbox *);
/* Under the lock: bring mb->ix up to date with the index file and the
 * Maildir, writing the index if anything changed. */
int	mbox_refresh(struct mbox *);
/* The same before adding messages (APPEND, COPY's destination), which
 * write the index after: new/ is taken in, but cur/ is read only when
 * that brought mail or the index is missing or damaged.  What others
 * changed in cur/ meanwhile is found by the next full sync (the rename
 * into cur/ moves its mtime off the one the index records). */
int	mbox_refresh_add(struct mbox *);
/* Under the lock: reread the index file if it changed.  0: mb->ix is
 * the file's; 1: no usable file (mb->ix left as it was); -1 error. */
int	mbox_load_index(struct mbox *);
/* The name in cur/ of the message whose base is base (any info part). */
int	mbox_find_file(struct mbox *, const char *base, struct sbuf *out);
int	mbox_write_index(struct mbox *);
int	mbox_read_keywords(struct mbox *, int *changed_r);
/* Full file name of r in cur/ into out. */
int	mbox_file_name(const struct midx_rec *, struct sbuf *out);
void	mbox_cache_free(struct mbox *);

int	midx_parse(const void *, size_t, struct midx *);
/* A TERNIDX3 file's header into hdr (no records, nothing allocated) and
 * its records' summary into sum, checked as midx_parse checks them but
 * for the checksum, the names and the expunged ranges' values; -1
 * (EINVAL) for anything else, older versions included. */
int	midx_summary(const void *, size_t, struct midx *hdr,
	    struct midx_sum *sum);
/* Free a record's name (one of midx_parse's block is only forgotten). */
void	midx_name_free(struct midx *, char **name);
/* FNV-1a 64 of n bytes (the trailer's checksum). */
uint64_t midx_checksum(const void *, size_t);
int	midx_format(const struct midx *, struct sbuf *);
void	midx_free(struct midx *);
int	midx_push(struct midx *, const struct midx_rec *);
struct midx_rec *midx_find(const struct midx *, uint32_t uid);
int	midx_name_ok(const char *, size_t);

/* Expunged UIDs (mstore_vanished.c).  midx_van_add remembers lo..hi
 * expunged at modseq (>= every modseq added before); it never fails: when
 * memory runs out it forgets instead (van_floor = modseq). */
void	midx_van_add(struct midx *, uint32_t lo, uint32_t hi,
	    uint64_t modseq);
/* Remove the records marked (gone[i] != 0), remembering their UIDs as
 * expunged at modseq; their names are freed.  Returns the count removed. */
size_t	midx_remove(struct midx *, const unsigned char *gone,
	    uint64_t modseq);

/* Write data to dirfd/name atomically (temp, fsync, rename, fsync dir). */
int	mstore_write_at(int dirfd, const char *name, const void *, size_t);
/* The same with sync 0: no fsync of the file nor of the folder (a file
 * whose loss a reader notices and repairs: a fresh index). */
int	mstore_write_at_sync(int dirfd, const char *name, const void *,
	    size_t, int sync);
/* Open the directory of a checked name (mstore_name_check's dir_r). */
int	mstore_open_dir(const struct mstore *, const char *dir);
/* 1: dirfd has cur/ (a selectable folder), 0: not, -1 error. */
int	mstore_has_cur(int dirfd);
/* A new UIDVALIDITY above old. */
uint32_t mstore_new_uidvalidity(uint32_t old);

#endif
