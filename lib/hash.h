/*
 * hash.h - a fast hash of short byte strings for in-memory tables (the
 * THREAD message-ID and subject tables, the Maildir name scan): eight
 * bytes at a time, a multiply-xorshift mix, every input bit reaching
 * every output bit.  Not for anything kept on disk (a format would then
 * depend on it) and not keyed: no defence against chosen collisions, so
 * tables that use it keep probing bounded by their size.
 */
#ifndef TERN_HASH_H
#define TERN_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	hash_bytes(const void *p, size_t n);

#endif
