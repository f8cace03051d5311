/*
 * tern-imapd-worker - the post-auth half of an IMAP session (tern-imapd(8)):
 * exec'd by tern-imapd's monitor as the account's uid in its Maildir, the
 * client channel on descriptors 0 and 1, settings in the environment.
 *
 * A program of its own so that it does not link OpenSSL: the worker never
 * speaks TLS (the pre-auth child does), and every process that maps
 * libcrypto keeps about half a megabyte of private relocated pages; an
 * idle (IDLE) session costs what its worker costs.
 */
#include <stdlib.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/priv.h"
#include "imapd/imapd.h"
#include "login/login_main.h"

extern char **environ;

/* After a login (monitor mode): the worker, as the account. */
static void
run(char **env)
{
	environ = env;
	exit(imap_worker());
}

int
main(int argc, char **argv)
{
	/* With arguments: the login monitor first (tern-login(8)); it
	 * keeps descriptors 3 to 6, so before proc_init. */
	if (argc > 1)
		return login_main(argc, argv, run);
	if (proc_init(NULL, 0, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-imapd", 0);
	return imap_worker();
}
