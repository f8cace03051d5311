/*
 * Fuzz target: lib/shacrypt against libcrypt.  The input is a key, a NUL
 * and a setting; whenever shacrypt512 takes the setting, its string must
 * be libcrypt's, byte for byte.  Settings of more than 9999 rounds are
 * skipped (a slow input, not a finding).
 */
#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/shacrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypt_data cd;
	char key[SHACRYPT_KEY_MAX + 1], setting[128], out[SHACRYPT_OUT_MAX];
	const uint8_t *nul;
	const char *ref, *r;
	size_t kl, sl;
	int n;

	if ((nul = memchr(data, '\0', size)) == NULL)
		return 0;
	kl = (size_t)(nul - data);
	sl = size - kl - 1;
	if (kl > SHACRYPT_KEY_MAX || sl >= sizeof setting)
		return 0;
	memcpy(key, data, kl);
	key[kl] = '\0';
	memcpy(setting, nul + 1, sl);
	setting[sl] = '\0';
	sl = strlen(setting);	/* libcrypt stops at a NUL too */
	if ((r = strstr(setting, "rounds=")) != NULL &&
	    strspn(r + 7, "0123456789") > 4)
		return 0;
	n = shacrypt512(key, kl, setting, sl, out, sizeof out);
	if (n < 0)
		return 0;
	if ((size_t)n != strlen(out))
		abort();
	ref = crypt_rn(key, setting, &cd, (int)sizeof cd);
	if (ref == NULL || strcmp(ref, out) != 0)
		abort();
	return 0;
}
