/*
 * login_main.h - the login monitor's main (login/login_main.c,
 * tern-login(8)), linked into tern-pop3d-worker and tern-imapd-worker:
 * their main calls it when started with arguments (by tern-pop3d or
 * tern-imapd, with the descriptors of lib/login.h).  run is the worker:
 * called in this process after a login, as the account, with the
 * worker's environment; it does not return.  login_main returns the
 * process's exit code when no login happened.
 */
#ifndef TERN_LOGIN_MAIN_H
#define TERN_LOGIN_MAIN_H

int	login_main(int argc, char **argv, void (*run)(char **env));

#endif
