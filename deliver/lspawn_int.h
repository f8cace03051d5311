/*
 * lspawn_int.h - private to tern-lspawn: the single-instance store.
 *
 * sis_store() writes "Return-Path: <sender>" + the message (from msgfd,
 * read from offset 0) once into sis_dir/XX/<sha256 hex> (root-owned,
 * mode 0444, fsynced, folder fsynced; XX the first two hex digits), or
 * reuses the file of that name when it is already there (a regular file
 * of the right size owned by us).  It returns an O_PATH-free directory
 * descriptor of sis_dir/XX in *dirfd_r and the file name in name
 * (SIS_NAME_LEN + 1 bytes).  sis_link() hard-links it into the Maildir's
 * tmp/ (opened O_NOFOLLOW|O_DIRECTORY under mdfd, owned by uid) under a
 * fresh unique name put in tmpname.  0 / -1 with errno.
 */
#ifndef TERN_LSPAWN_INT_H
#define TERN_LSPAWN_INT_H

#include <sys/types.h>

#include <stdint.h>

#include "lib/sbuf.h"

#define SIS_NAME_LEN	64	/* SHA-256 in hex */

int	sis_store(const char *sis_dir, const char *sender, int msgfd,
	    int *dirfd_r, char name[SIS_NAME_LEN + 1], uint64_t *size_r);
int	sis_link(int sisfd, const char *name, int mdfd, uid_t uid,
	    struct sbuf *tmpname);

#endif
