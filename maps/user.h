/*
 * user.h - what tern-user.c shares with user_move.c (tern-user move and
 * receive, doc/move.md); not for other programs.
 *
 * The functions die() on every error, as tern-user's commands do.
 */
#ifndef TERN_MAPS_USER_H
#define TERN_MAPS_USER_H

#include <stddef.h>

#include "lib/maps.h"
#include "lib/sbuf.h"

struct conf;

struct user {
	struct conf	*cf;
	struct maps_compile_opts o;
	struct sbuf	 path;		/* conf_dir/accounts */
	struct sbuf	 text;		/* its contents */
	int		 lockfd;
	const char	*addr;		/* the ADDRESS argument */
	struct sbuf	 key;		/* lowercased */
};

void	usage(void) __attribute__((noreturn));
/* Check ADDRESS and set u->addr and u->key. */
void	user_set_addr(struct user *, const char *addr);
/* Take the accounts lock, then read the accounts file into u->text. */
void	user_lock_read(struct user *);
/* The account's line in u->text: 1 (slices into it, start and end), 0. */
int	find_account(struct user *, struct maps_account *, size_t *start_r,
	    size_t *end_r);
/* Write newtext as the accounts file and recompile; on a compile error
 * put u->text back and die. */
void	commit(struct user *, const struct sbuf *newtext);
/* The account's Maildir (home= or the hashed default), NUL-terminated. */
void	home_of(struct user *, const struct maps_account *, struct sbuf *);

/* Does the account live on this host (no host=, local, or host= this
 * host's name: tern.conf hostname, else the system's)? */
int	user_is_here(struct user *, const struct maps_account *);
int	user_cmd_move(struct user *, int argc, char **argv);
int	user_cmd_receive(struct user *, int argc, char **argv);

#endif
