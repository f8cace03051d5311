/*
 * cdbmap.h - read-only constant-database maps (tinycdb), reopened when the
 * file on disk is replaced.
 *
 * tern reads libcdb only through this module (STYLE 12).  cdbmap_open()
 * opens a .cdb file; cdbmap_lookup() finds a key.  A file is first read
 * with pread() (a table of contents of 2 KiB kept in memory, then one
 * pread for the hash slots and one for a record: no mmap, munmap or page
 * faults, which cost a process that makes a few lookups far more than the
 * lookups, ~10 us a fault, and a large map faults at nearly every lookup)
 * and mapped into memory once the handle has made 32 + size / 8 KiB
 * lookups (a long-running reader: memory reads beat syscalls; 32 + size /
 * 1 MiB after cdbmap_hugepages, below).  A lookup in a mapped file starts
 * loading its record's first 256 bytes as soon as it has read the hash
 * slot, so the cache lines of a record arrive together (a map larger than
 * the caches: bench/million).
 * CDBMAP_READ and CDBMAP_MAP force one way.  Before a
 * lookup, at most once per second (or before every lookup with
 * CDBMAP_CHECK_EVERY), the path is stat()ed and, when its inode, device,
 * size or mtime differs from the mapped file's (tern-maps renamed a
 * recompiled map into place, or a copy landed), the new file is opened and
 * mapped instead, so a long-running reader sees a recompiled map without a
 * restart; the cost is one stat() per map per second, and one more for a
 * miss when the last check is older than this lookup: "not found" is
 * always answered from the file as it is now (an account added a moment
 * ago is never refused, or its mail bounced, from an older copy).  A file
 * written over
 * in place is noticed by its size or mtime, but lookups made while it is
 * being written may see a torn file (the library bounds every read, but a
 * file that shrinks under a mapping can fault): replace maps by rename,
 * as tern-maps and rsync do.  While a file is read by pread() the handle
 * holds its descriptor (O_CLOEXEC): a process that closes descriptors it
 * did not open (closefrom) or moves others onto their numbers (dup2)
 * makes no lookup on its maps afterwards; cdbmap_close() then closes the
 * descriptor only if it is still the map file's (fstat), so the moved one
 * survives.
 *
 * A missing file is an error (ENOENT), or an empty map when the caller
 * passes CDBMAP_MISSING_OK; such a map starts answering as soon as the file
 * appears.  A file that is not a valid cdb (too short, offsets beyond its
 * end) gives -1 with errno = EPROTO, never a read outside the mapping: the
 * library checks every position against the file size and this module
 * checks the found value again.  When a replacement file cannot be opened,
 * the lookup fails (-1) and the next lookup tries again; the old mapping is
 * kept meanwhile but not used for answers.
 *
 * Return convention: cdbmap_open() returns NULL with errno set;
 * cdbmap_lookup() returns 1 (found), 0 (not found) or -1 (errno set).  The
 * value pointer points into the mapping or the handle's buffer and stays
 * valid only until the next lookup on, or the close of, the same handle:
 * copy it to keep it.
 * cdbmap_close(&m) frees and NULLs m.  A handle is not thread-safe.
 */
#ifndef TERN_CDBMAP_H
#define TERN_CDBMAP_H

#include <sys/types.h>

#include <stddef.h>

#define CDBMAP_MISSING_OK	0x01	/* a missing file is an empty map */
#define CDBMAP_CHECK_EVERY	0x02	/* stat the path before every lookup */
#define CDBMAP_READ		0x04	/* pread() whatever the size (tests) */
#define CDBMAP_MAP		0x08	/* mmap() whatever the size (tests) */


#define CDBMAP_KEY_MAX		0xffffffffU	/* the cdb format's limit */

struct cdbmap;

struct cdbmap *cdbmap_open(const char *path, int flags);
int	cdbmap_lookup(struct cdbmap *, const void *key, size_t klen,
	    const void **val_r, size_t *vlen_r);
/*
 * As cdbmap_lookup(), but a miss may come from the file as it was at the
 * last check (at most a second ago): for a caller that makes several
 * lookups and confirms only the misses its answer rests on.
 * cdbmap_confirm() then makes them final: 0 when every miss since the
 * last check was answered from the file at the path now (it stats the
 * path if a stale miss was given since), 1 when the file changed (ask
 * again), -1 with errno set.
 */
int	cdbmap_lookup_stale(struct cdbmap *, const void *key, size_t klen,
	    const void **val_r, size_t *vlen_r);
int	cdbmap_confirm(struct cdbmap *);
/* Re-check the path now (as a lookup would); 0, or -1 with errno set. */
int	cdbmap_refresh(struct cdbmap *);
/* cdbmap_refresh() when a lookup would check (a second since the last). */
int	cdbmap_check(struct cdbmap *);
/*
 * Huge pages, for a process that keeps a large map for its children (a
 * fork server; Linux, x86-64's 2 MiB pages).  A file of 2 MiB or more is
 * always mapped at a 2 MiB boundary with MADV_HUGEPAGE, which gives one
 * TLB entry and one page fault per 2 MiB when the page cache holds the
 * file in 2 MiB folios.  cdbmap_hugepages() makes it hold them: for the
 * file loaded now and every replacement this process loads (not its
 * children), a file of 8 MiB or more is read through such a mapping
 * (MADV_POPULATE_READ; /proc/self/smaps tells how much of it got 2 MiB
 * entries) and, when less than 90 % did, its cached pages are dropped
 * (POSIX_FADV_DONTNEED: only clean pages nobody maps) and it is read again.
 * It costs a read of the whole file in this process at each load (1.1 s
 * for 152 MB dropped and read again from disk at load 20; 1 ms when the
 * cache holds it so already); the memory is the page cache's, shared by
 * every reader.  When
 * it worked (1: cdbmap_is_huge), the handle, and a child's copy of it,
 * switches from pread to the mapping after 32 + size / 1 MiB lookups
 * instead of 32 + size / 8 KiB (the mapping faults once per 2 MiB).
 * Returns 1 or 0 (not huge: nothing else changes).
 */
int	cdbmap_hugepages(struct cdbmap *);
int	cdbmap_is_huge(const struct cdbmap *);
/*
 * Hints for a mapped file (nothing when it is read by pread), to overlap
 * the cache misses of a lookup in a map larger than the caches with other
 * work: cdbmap_prefetch() starts loading key's hash slot and returns;
 * cdbmap_prefetch_record() reads the slot (waiting for it) and starts
 * loading the first 256 bytes of the record it points to.  A lookup does
 * the latter itself, so the lines of its record arrive together.
 */
void	cdbmap_prefetch(const struct cdbmap *, const void *key, size_t klen);
void	cdbmap_prefetch_record(const struct cdbmap *, const void *key,
	    size_t klen);
/* Number of times a replacement file was loaded (tests, logs). */
unsigned long cdbmap_generation(const struct cdbmap *);
/* Is the file mapped (1) or read with pread() (0)?  (Tests, benches.) */
int	cdbmap_is_mapped(const struct cdbmap *);
void	cdbmap_close(struct cdbmap **);

/*
 * cdbmap_walk(path, fn, arg): every record of the file at path, in the
 * order it was written (tern-maps writes a map in its source's order):
 * fn(key, klen, val, vlen, arg) for each, until fn returns non-zero.  For
 * the rare reader that needs more than lookups (tern-qmgr: the first local
 * domain, on hosts that get the cdb files but not the text maps).
 * Returns fn's non-zero value (let it be positive), 0 after the last
 * record, or -1 with errno (EPROTO: not a valid cdb).
 */
typedef int	cdbmap_walk_fn(const void *key, size_t klen, const void *val,
	    size_t vlen, void *arg);
int	cdbmap_walk(const char *path, cdbmap_walk_fn *fn, void *arg);

/*
 * Writing a map: cdbmap_make_start() creates 'path' (a temp name such as
 * "accounts.cdb.tmp"; a stale one is replaced) with O_EXCL and 'mode';
 * cdbmap_make_add() appends a record; cdbmap_make_finish() writes the
 * index, fsyncs and closes the file (0, or -1 with errno).  Putting it in
 * place is the caller's: durable rename, then fsync of the folder.
 * cdbmap_make_abort() closes without finishing; the caller unlinks.  Both
 * free the handle and NULL the pointer.  Keys and values are binary; the
 * cdb format limits a file to 4 GiB.
 */
struct cdbmap_make;

struct cdbmap_make *cdbmap_make_start(const char *path, mode_t mode);
int	cdbmap_make_add(struct cdbmap_make *, const void *key, size_t klen,
	    const void *val, size_t vlen);
int	cdbmap_make_finish(struct cdbmap_make **);
void	cdbmap_make_abort(struct cdbmap_make **);

#endif
