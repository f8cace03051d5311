/*
 * imapsort.h - IMAP SORT (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO): the
 * sort keys of one message, kept as a compact record (tern-imapd caches
 * it in the folder's tern-cache so a warm SORT or THREAD reads no
 * message), and the sort itself.
 *
 * imapsort_rec_make(rec, hdr, hlen) reads a message header hdr[0..hlen)
 * (it stops at the blank line) and writes the record into rec (replaced):
 * the Date header (RFC 5322, lib/mime; absent when missing or
 * unparsable: the caller then uses the internal date, RFC 5256 2.2),
 * the base subject and its reply-or-forward flag (lib/basesubj), the
 * first From, To and Cc address's mailbox (local part) and the
 * RFC 5957 display strings of the first From and To (the RFC 2047
 * decoded display name, else mailbox@host), every string case mapped
 * (basesubj_casemap); and for THREAD the Message-ID and the message IDs
 * of References (or, without any, the first of In-Reply-To), without
 * their angle brackets, separated by one space.  The first field of each
 * name counts.  imapsort_rec_parse(rec, n, &keys) reads one back
 * (pointers into rec): 0, or -1 EINVAL for anything that is not a whole
 * record of this version.
 *
 * imapsort_sort(v, n, crit) orders the pointers v[0..n) by the criteria
 * (each optionally REVERSE), ties broken by the sequence number
 * (ascending whatever REVERSE says, as Dovecot does); strings compare
 * as bytes (they are case mapped already), an empty string first.
 * ARRIVAL is the internal date, DATE the sent date, SIZE RFC822.SIZE.
 *
 * Return convention: 0, or -1 with errno (ENOMEM, E2BIG, EINVAL).
 */
#ifndef TERN_IMAPSORT_H
#define TERN_IMAPSORT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/imapp.h"

struct sbuf;

#define IMAPSORT_REC_MAX	(256 * 1024)	/* one record */
#define IMAPSORT_ADDR_MAX	4096		/* one key from an address */
#define IMAPSORT_REFS_MAX	(64 * 1024)	/* References kept */

struct imapsort_str {
	const char	*p;
	size_t		 n;
};

enum imapsort_field {
	IMAPSORT_SUBJECT,
	IMAPSORT_FROM,
	IMAPSORT_TO,
	IMAPSORT_CC,
	IMAPSORT_DFROM,
	IMAPSORT_DTO,
	IMAPSORT_MSGID,
	IMAPSORT_REFS,
	IMAPSORT_NFIELDS
};

struct imapsort_keys {
	int		 has_date;
	int64_t		 date;		/* UTC seconds, when has_date */
	int		 is_reply;
	struct imapsort_str f[IMAPSORT_NFIELDS];
};

int	imapsort_rec_make(struct sbuf *rec, const char *hdr, size_t hlen);
int	imapsort_rec_parse(const char *rec, size_t n, struct imapsort_keys *);

struct imapsort_msg {
	uint32_t	 seq;
	int64_t		 arrival;	/* internal date */
	int64_t		 sent;		/* Date header or internal date */
	uint64_t	 size;
	struct imapsort_str f[IMAPSORT_NFIELDS];
};

int	imapsort_sort(struct imapsort_msg **v, size_t n,
	    const struct imapp_sort *crit);

/* Does sorting by crit need the header keys (not only ARRIVAL/SIZE)? */
int	imapsort_needs_keys(const struct imapp_sort *crit);

#endif
