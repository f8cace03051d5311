/*
 * durable.h - the one place each durability pattern is written (STYLE 11).
 *
 * Names say the guarantee: _excl opens with O_CREAT|O_EXCL|O_NOFOLLOW|
 * O_CLOEXEC (never follows or reuses an existing name); _sync fsyncs what
 * changed, the folder entries included, before returning; _atomic writes a
 * temporary file and renames it, so readers see the old file or the whole
 * new one, never half of it.
 *
 * Modes are exact: files and folders created here are fchmod/chmod'ed to
 * the mode given, whatever the umask.  Paths are used as given (relative
 * to the working directory when not absolute); the folder of "name" is
 * ".", of "/name" is "/".
 *
 * Return convention: 0 (or a descriptor) on success, -1 with errno set.
 * After a failure nothing is left behind by the _atomic helper (its temp
 * file is removed); durable_rename_sync/link_sync may fail after the rename
 * or link happened (the fsync failed): the caller must treat that as "not
 * durable" (temporary failure), not as "not done".
 * Ownership: descriptors returned are the caller's; durable_close_sync
 * always closes, even when fsync fails.
 */
#ifndef TERN_DURABLE_H
#define TERN_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

/* Suffix of durable_write_file_atomic's temp file: path.tmp.<pid>. */
#define DURABLE_TMP_SUFFIX	".tmp."

/* New file for writing, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC. */
int	durable_open_excl(const char *path, mode_t mode);
int	durable_openat_excl(int dirfd, const char *name, mode_t mode);
/* fsync a folder; durable_fsync_parent fsyncs the folder holding path. */
int	durable_fsync_dir(const char *path);
int	durable_fsync_parent(const char *path);
/* fsync then close, both checked; the descriptor is closed in any case. */
int	durable_close_sync(int fd);
/* Write len bytes to path.tmp.<pid> (mode), fsync, rename over path, fsync
 * the folder. */
int	durable_write_file_atomic(const char *path, const void *data,
	    size_t len, mode_t mode);
/*
 * The same pattern for a file written piece by piece (cdb_make, a map
 * compiler): durable_atomic_open creates path.tmp.<pid> (removing a stale
 * one of that name) and gives its descriptor in a->fd; write to it, then
 * durable_atomic_commit fsyncs, closes, renames over path and fsyncs the
 * folder, or durable_atomic_abort closes and removes the temp file.  Commit
 * removes the temp file itself when it fails before the rename.  Both end
 * the struct's life (fd -1, names freed); abort after commit is a no-op.
 */
struct durable_atomic {
	int	 fd;
	char	*path;		/* final name */
	char	*tmp;		/* path.tmp.<pid> */
};
int	durable_atomic_open(struct durable_atomic *, const char *path,
	    mode_t mode);
int	durable_atomic_commit(struct durable_atomic *);
void	durable_atomic_abort(struct durable_atomic *);

/* rename, then fsync the folder of to and, if different, that of from. */
int	durable_rename_sync(const char *from, const char *to);
/* link, then fsync the folder of to (Maildir delivery, shared store). */
int	durable_link_sync(const char *from, const char *to);
/* unlink, then fsync the folder. */
int	durable_unlink_sync(const char *path);
/* mkdir (mode), then fsync the parent; an existing folder (or a symlink
 * to one) is success, its mode left alone, and the parent is fsynced all
 * the same (the folder may be a crashed run's); an existing non-folder is
 * ENOTDIR. */
int	durable_mkdir_sync(const char *path, mode_t mode);
/* Like mkdir -p: every missing component is created with mode and fsynced
 * in its parent. */
int	durable_mkdirs_sync(const char *path, mode_t mode);

#endif
