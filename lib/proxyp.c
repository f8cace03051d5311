/*
 * proxyp.c - the one parser of backend bytes in tern-proxy: see proxyp.h.
 */
#include <string.h>
#include <strings.h>

#include "lib/proxyp.h"

int
proxyp_line(enum proxyp_proto proto, const char *tag, const char *line,
    size_t n, const char **rest_r, size_t *rest_n_r)
{
	size_t tl = strlen(tag);

	*rest_r = NULL;
	*rest_n_r = 0;
	if (proto == PROXYP_POP3) {
		if (n >= 3 && memcmp(line, "+OK", 3) == 0 &&
		    (n == 3 || line[3] == ' ')) {
			*rest_r = line + 3;
			*rest_n_r = n - 3;
			return 1;
		}
		if (n >= 4 && memcmp(line, "-ERR", 4) == 0 &&
		    (n == 4 || line[4] == ' ')) {
			*rest_r = line + 4;
			*rest_n_r = n - 4;
			return 2;
		}
		return 0;
	}
	if (n < tl + 3 || memcmp(line, tag, tl) != 0 || line[tl] != ' ')
		return 0;
	line += tl + 1;
	n -= tl + 1;
	if (n >= 2 && strncasecmp(line, "OK", 2) == 0 &&
	    (n == 2 || line[2] == ' ')) {
		*rest_r = line + 2;
		*rest_n_r = n - 2;
		return 1;
	}
	if ((n >= 2 && strncasecmp(line, "NO", 2) == 0 &&
	    (n == 2 || line[2] == ' ')) ||
	    (n >= 3 && strncasecmp(line, "BAD", 3) == 0 &&
	    (n == 3 || line[3] == ' '))) {
		*rest_r = line;
		*rest_n_r = n;
		return 2;
	}
	return 0;
}
