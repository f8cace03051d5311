/*
 * worker_static.c - linked into tern-pop3d-worker when it is built
 * statically (pop3d/pop3d.mk: every build but SAN=1).
 *
 * The worker is exec'd at every login; as a static-pie program (still
 * ASLR and full RELRO) it starts without the dynamic linker's work, which
 * was most of its start-up CPU (bench/pop3).  It never looks a user up:
 * it runs as the account the monitor made it.  lib/priv.c, which it
 * links for proc_init, also holds priv_lookup and so names getpwnam;
 * glibc's getpwnam needs NSS modules (shared libraries) at run time, and
 * linking it statically draws a warning.  This definition takes its
 * place in the worker only: a lookup fails with ENOSYS.
 */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>

struct passwd *
getpwnam(const char *name)
{
	(void)name;
	errno = ENOSYS;
	return NULL;
}
