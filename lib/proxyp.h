/*
 * proxyp.h - tern-proxy's reading of a backend's answers during the
 * master login (doc/proxy.md): the one place where backend bytes are
 * parsed before the relay starts (after it, bytes are never parsed).
 *
 * proxyp_line(proto, tag, line, n, &rest, &rest_n) classifies one line
 * (without its CRLF; any bytes, n may be 0; nothing is read past n):
 *   IMAP: 1 "<tag> OK[ ...]" (case-insensitive OK), 2 "<tag> NO ..." or
 *         "<tag> BAD ...", 0 anything else (untagged lines, other tags);
 *         rest is the text after "OK" (starting with its blank) for 1,
 *         the text after "<tag> " for 2.
 *   POP3: tag is ignored; 1 "+OK[ ...]", 2 "-ERR[ ...]", 0 else; rest is
 *         the text after "+OK" / "-ERR".
 * rest points into line (NULL and 0 when the answer is 0).
 */
#ifndef TERN_PROXYP_H
#define TERN_PROXYP_H

#include <stddef.h>

enum proxyp_proto { PROXYP_IMAP = 0, PROXYP_POP3 = 1 };

int	proxyp_line(enum proxyp_proto, const char *tag, const char *line,
	    size_t n, const char **rest_r, size_t *rest_n_r);

#endif
