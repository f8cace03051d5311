/*
 * mstore_quota.c - the account's quota as IMAP QUOTA (RFC 9208) reports
 * it (lib/mstore.h): the limit set by mstore_set_quota() and the usage in
 * the Maildir++ maildirsize file, recalculated exactly when tern-local
 * would recalculate it (lib/maildir_quota.c).
 */
#include <errno.h>
#include <string.h>

#include "lib/maildir.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

int
mstore_quota_get(struct mstore *ms, struct maildir_quota *q_r,
    struct maildir_usage *u_r)
{
	memset(u_r, 0, sizeof(*u_r));
	*q_r = ms->quota;
	if (q_r->bytes == 0 && q_r->count == 0)
		return 0;
	if (maildir_quota_check(ms->rootfd, q_r, 0, u_r) == -1)
		return -1;
	if (u_r->bytes < 0)
		u_r->bytes = 0;
	if (u_r->count < 0)
		u_r->count = 0;
	return 1;
}

int
mstore_quota_counts(const struct mstore *ms, const char *name)
{
	struct sbuf c;
	int rc;

	sbuf_init(&c, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, name, &c, NULL) == -1)
		rc = -1;
	else
		rc = strcmp(c.s, "Trash") != 0;
	sbuf_fini(&c);
	return rc;
}
