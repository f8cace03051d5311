/*
 * imapthread.h - IMAP THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES,
 * written as the untagged answer's list: "(1 2)(3 (4)(5))".
 *
 * The caller gives the messages that matched the search, in mailbox
 * order (v[i] before v[j] when its sequence number is lower), each with
 * the number to print (its sequence number or UID), its sent date (RFC
 * 5256 2.2: the Date header, else the internal date), its base subject
 * (lib/basesubj, case mapped) with the reply-or-forward flag, its
 * Message-ID and the message IDs it refers to (lib/imapsort's record:
 * References, or the first of In-Reply-To; IDs without brackets,
 * separated by one space).  Equal dates are ordered by mailbox order.
 *
 * ORDEREDSUBJECT: sorted by base subject then sent date; each run of one
 * base subject is a thread whose first message is the parent of the
 * others, threads ordered by the sent date of their first message.
 *
 * REFERENCES: RFC 5256 section 3 step by step: (1) parent/child links
 * from the references (a missing ID becomes a dummy, no link that would
 * make a loop, an existing parent kept in 1.A, replaced in 1.B by the
 * last reference; a message without a valid or with a duplicate
 * Message-ID gets a unique one, so it is never referred to; a reference
 * to the message's own ID is skipped), (2) the root set, (3) dummies
 * pruned (one without children removed; its children promoted, but not
 * to the root unless there is only one), (4) the root set sorted by
 * date (a dummy by its first child after sorting its children), (5)
 * threads merged by base subject through the subject table, (6) every
 * set of siblings sorted by date.
 *
 * Both run in O(n log n) time plus the length of the references, with
 * no recursion (explicit stacks).  Output is appended to out.
 * Return convention: 0, or -1 with errno (ENOMEM, E2BIG from out).
 */
#ifndef TERN_IMAPTHREAD_H
#define TERN_IMAPTHREAD_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;

struct imapthread_msg {
	uint32_t	 num;		/* printed */
	int64_t		 sent;
	const char	*subject;	/* base subject */
	size_t		 subject_len;
	int		 is_reply;
	const char	*msgid;		/* n 0: none */
	size_t		 msgid_len;
	const char	*refs;		/* IDs separated by ' ' */
	size_t		 refs_len;
};

int	imapthread_orderedsubject(const struct imapthread_msg *v, size_t n,
	    struct sbuf *out);
int	imapthread_references(const struct imapthread_msg *v, size_t n,
	    struct sbuf *out);

#endif
