/*
 * mstore_ops.c - changes to a folder: STORE, EXPUNGE, APPEND, COPY,
 * reading messages, the string cache and STATUS (lib/mstore.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

void
mbox_cache_free(struct mbox *mb)
{
	mem_free(&mb->cache);
	mb->ncache = mb->capcache = 0;
}

/* Not written yet: ENOSYS until the next merge. */
int
mstore_status(struct mstore *ms, const char *name, struct mstore_status *st)
{
	(void)ms; (void)name; (void)st;
	errno = ENOSYS;
	return -1;
}

int
mbox_store(struct mbox *mb, const uint32_t *uids, size_t n,
    enum mbox_store_op op, uint32_t flags, uint32_t keywords,
    uint64_t unchangedsince, const struct mbox_store_ops *ops, void *arg)
{
	(void)mb; (void)uids; (void)n; (void)op; (void)flags; (void)keywords;
	(void)unchangedsince; (void)ops; (void)arg;
	errno = ENOSYS;
	return -1;
}

int
mbox_expunge(struct mbox *mb, const uint32_t *uids, size_t n,
    int (*cb)(void *, uint32_t, uint32_t), void *arg)
{
	(void)mb; (void)uids; (void)n; (void)cb; (void)arg;
	errno = ENOSYS;
	return -1;
}

int
mbox_append(struct mbox *mb, const void *msg, size_t len,
    const struct mbox_append *a, uint32_t *uv, uint32_t *uid)
{
	(void)mb; (void)msg; (void)len; (void)a; (void)uv; (void)uid;
	errno = ENOSYS;
	return -1;
}

int
mbox_append_fd(struct mbox *mb, int fd, const struct mbox_append *a,
    uint32_t *uv, uint32_t *uid)
{
	(void)mb; (void)fd; (void)a; (void)uv; (void)uid;
	errno = ENOSYS;
	return -1;
}

int
mbox_copy(struct mbox *src, const uint32_t *uids, size_t n, struct mbox *dst,
    uint32_t *uv, uint32_t *su, uint32_t *du, size_t *n_r)
{
	(void)src; (void)uids; (void)n; (void)dst; (void)uv; (void)su;
	(void)du; (void)n_r;
	errno = ENOSYS;
	return -1;
}

int
mbox_msg_open(struct mbox *mb, uint32_t uid)
{
	(void)mb; (void)uid;
	errno = ENOSYS;
	return -1;
}

int
mbox_msg_vsize(struct mbox *mb, uint32_t uid, uint64_t *v)
{
	(void)mb; (void)uid; (void)v;
	errno = ENOSYS;
	return -1;
}

int
mbox_cache_get(struct mbox *mb, uint32_t uid, unsigned kind,
    struct sbuf *out)
{
	(void)mb; (void)uid; (void)kind; (void)out;
	return 0;
}

int
mbox_cache_put(struct mbox *mb, uint32_t uid, unsigned kind,
    const void *p, size_t n)
{
	(void)mb; (void)uid; (void)kind; (void)p; (void)n;
	return 0;
}
