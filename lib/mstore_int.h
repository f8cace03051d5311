/*
 * mstore_int.h - lib/mstore's internals shared by its files and its fuzz
 * target; nothing outside lib/mstore*.c and t/ includes this.
 *
 * The index ("tern-index" in the folder's directory), little-endian:
 *   header  "TERNIDX1", u32 uidvalidity, u32 uidnext, u32 first_recent,
 *           u32 count, u64 highestmodseq, i64 cur_sec, i64 cur_nsec
 *   count records: u32 uid, u32 flags, u32 keywords, u16 namelen,
 *           u16 zero, u64 modseq, u64 size, u64 vsize, i64 date, name
 *   trailer "END1", u64 FNV-1a of every byte before the trailer.
 * midx_parse() accepts exactly that and nothing else: uids strictly
 * rising and below uidnext, modseqs within 1..highestmodseq, names that
 * are plain Maildir base names, no byte left over.
 */
#ifndef TERN_MSTORE_INT_H
#define TERN_MSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/mstore.h"

#define MIDX_MAGIC		"TERNIDX1"
#define MIDX_TRAILER		"END1"
#define MIDX_HDR_LEN		48
#define MIDX_REC_LEN		48
#define MIDX_TRL_LEN		12
#define MSTORE_INDEX		"tern-index"
#define MSTORE_LOCK		"tern-index.lock"
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
};

struct mstore {
	int		 rootfd;
	int		 sep;
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
	int		 ix_dirty;	/* vsizes learnt, not yet written */
	int		 synced;	/* the view has a uidvalidity */
	uint32_t	 uidvalidity;	/* the view's */
	struct midx	 ix;		/* the index as of the last lock */
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
};

int	mbox_lock(struct mbox *);
void	mbox_unlock(struct mbox *);
/* Under the lock: bring mb->ix up to date with the index file and the
 * Maildir, writing the index if anything changed. */
int	mbox_refresh(struct mbox *);
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
int	midx_format(const struct midx *, struct sbuf *);
void	midx_free(struct midx *);
int	midx_push(struct midx *, const struct midx_rec *);
struct midx_rec *midx_find(const struct midx *, uint32_t uid);
int	midx_name_ok(const char *, size_t);

/* Write data to dirfd/name atomically (temp, fsync, rename, fsync dir). */
int	mstore_write_at(int dirfd, const char *name, const void *, size_t);
/* Open the directory of a checked name (mstore_name_check's dir_r). */
int	mstore_open_dir(const struct mstore *, const char *dir);
/* 1: dirfd has cur/ (a selectable folder), 0: not, -1 error. */
int	mstore_has_cur(int dirfd);
/* A new UIDVALIDITY above old. */
uint32_t mstore_new_uidvalidity(uint32_t old);

#endif
