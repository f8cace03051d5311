/*
 * imapd_compress.c - COMPRESS=DEFLATE (RFC 4978).  The worker talks
 * plaintext on its channel (for a TLS session the pre-auth child relays
 * the bytes), so compressing here is right for both.  "COMPRESS DEFLATE"
 * is answered "OK" uncompressed; the dispatcher then calls
 * imap_compress_after(), which plugs lib/bio_deflate under the session's
 * bio: from the next byte on both directions are raw deflate.  A second
 * COMPRESS is "NO [COMPRESSIONACTIVE]".
 */
#include <errno.h>
#include <stdint.h>

#include "lib/bio.h"
#include "lib/bio_deflate.h"
#include "lib/imapp.h"
#include "lib/log.h"

#include "imapd/imapd.h"

/* One session per process: the filter lives until the process ends. */
static struct bio_deflate *dz;
static int dz_requested;

int
imap_cmd_compress(struct imap *s)
{
	const struct imapp_tok *t = imapp_arg(&s->pc, 0);

	if (s->pc.nargs != 1 || t == NULL || t->type != IMAPP_T_ATOM)
		return imap_bad(s, "COMPRESS needs an algorithm");
	if (!imapp_tok_is(t, "DEFLATE"))
		return imap_bad(s, "Unknown compression algorithm");
	if (dz != NULL || dz_requested)
		return imap_no(s, "[COMPRESSIONACTIVE] DEFLATE is active "
		    "already");
	dz_requested = 1;
	return imap_reply(s, "OK", "DEFLATE active");
}

int
imap_compress_after(struct imap *s)
{
	uint64_t a, b, c, d;

	if (!dz_requested || dz != NULL)
		return 0;
	if (bio_deflate_start(s->b, &dz) < 0) {
		log_err_sys("account=%s compress", log_esc_s(s->user));
		return -1;
	}
	bio_deflate_counts(dz, &a, &b, &c, &d);
	log_info("compress account=%s algorithm=deflate pipelined=%llu",
	    log_esc_s(s->user), (unsigned long long)b);
	return 0;
}
