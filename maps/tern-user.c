/*
 * tern-user - add, remove and inspect mail accounts; set passwords.
 *
 *   tern-user [-c FILE] add ADDRESS [--password-stdin] [--hash HASH]
 *             [--quota SIZE] [--host NAME]
 *   tern-user [-c FILE] del ADDRESS [--purge]
 *   tern-user [-c FILE] passwd ADDRESS [--password-stdin]
 *   tern-user [-c FILE] list
 *   tern-user [-c FILE] show ADDRESS
 *   tern-user [-c FILE] move ADDRESS HOST [--route NEXTHOP]
 *   tern-user [-c FILE] receive ADDRESS
 *
 * The accounts text file is the truth: each change rewrites it atomically
 * (under a lock) and recompiles the maps with the same code as tern-maps;
 * when the compile fails the old file is put back.  See tern-user(8).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "maps/user.h"

#define ACCOUNTS_FILE_MAX	((size_t)1 << 30)	/* 1 GiB of text */
#define ACCOUNTS_MODE		0640	/* it holds password hashes */
#define HASHDIR_MODE		0711	/* XX/YY: accounts pass through */
#define MAILDIR_MODE		0700	/* DESIGN: the kernel guards it */


void
usage(void)
{
	fprintf(stderr,
	    "usage: tern-user [-c FILE] add ADDRESS [--password-stdin] "
	    "[--hash HASH] [--quota SIZE] [--host NAME]\n"
	    "       tern-user [-c FILE] del ADDRESS [--purge]\n"
	    "       tern-user [-c FILE] passwd ADDRESS [--password-stdin]\n"
	    "       tern-user [-c FILE] move ADDRESS HOST [--route NEXTHOP]\n"
	    "       tern-user [-c FILE] receive ADDRESS\n"
	    "       tern-user [-c FILE] list\n"
	    "       tern-user [-c FILE] show ADDRESS\n");
	exit(EXIT_PERM);
}

/* --- configuration, lock, the accounts file ------------------------------ */

static void
user_init(struct user *u, const char *opt_c)
{
	struct sbuf err;
	const char *why;
	char **roles;
	size_t i, n;
	int only_mx = 1;

	memset(u, 0, sizeof *u);
	u->lockfd = -1;
	sbuf_init(&err, 65536);
	if (conf_load(conf_locate(opt_c), &u->cf, &err) < 0) {
		fputs(sbuf_str(&err) ? sbuf_str(&err) : "", stderr);
		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP,
		    "cannot load the configuration");
	}
	sbuf_fini(&err);
	if (maps_compile_opts_conf(&u->o, u->cf, &why) < 0)
		die(EXIT_PERM, "%s", why);
	/* A host that is only an MX never holds password hashes. */
	if (conf_list(u->cf, "roles", &roles, &n) == 0) {
		for (i = 0; i < n; i++)
			if (strcmp(roles[i], "mx") != 0)
				only_mx = 0;
		if (n > 0 && only_mx)
			u->o.tier = MAPS_TIER_MX;
		free(roles);
	}
	sbuf_init(&u->path, MAPS_PATH_MAX * 2);
	sbuf_init(&u->text, ACCOUNTS_FILE_MAX);
	sbuf_init(&u->key, MAPS_ADDR_MAX + 1);
	if (sbuf_printf(&u->path, "%s/accounts", u->o.src_dir) < 0 ||
	    sbuf_nul(&u->path) < 0)
		die(EXIT_PERM, "configuration folder name too long");
}

static void
user_fini(struct user *u)
{
	if (u->lockfd >= 0)
		(void)close(u->lockfd);	/* releases the lock; wrote nothing */
	u->lockfd = -1;
	sbuf_fini(&u->path);
	sbuf_fini_secret(&u->text);	/* holds hashes */
	sbuf_fini(&u->key);
	conf_free(&u->cf);
}

void
user_set_addr(struct user *u, const char *addr)
{
	u->addr = addr;
	if (!maps_addr_valid(addr, strlen(addr)))
		die(EXIT_PERM, "not a valid address: %s", log_esc_s(addr));
	if (maps_key(&u->key, addr, strlen(addr)) < 0 || sbuf_nul(&u->key) < 0)
		die_sys(EXIT_TEMP, "out of memory");
}

/* Lock (one tern-user at a time), then read the accounts file. */
void
user_lock_read(struct user *u)
{
	struct sbuf lp;

	sbuf_init(&lp, MAPS_PATH_MAX * 2);
	if (sbuf_printf(&lp, "%s.lock", u->path.s) < 0 || sbuf_nul(&lp) < 0)
		die(EXIT_PERM, "path too long");
	u->lockfd = open(lp.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->lockfd < 0)
		die_sys(EXIT_TEMP, "cannot open %s", log_esc_s(lp.s));
	if (flock(u->lockfd, LOCK_EX) < 0)
		die_sys(EXIT_TEMP, "cannot lock %s", log_esc_s(lp.s));
	sbuf_fini(&lp);
	if (io_read_file(u->path.s, &u->text, ACCOUNTS_FILE_MAX) < 0 &&
	    errno != ENOENT)
		die_sys(EXIT_TEMP, "cannot read %s", log_esc_s(u->path.s));
}

static void
user_read(struct user *u)
{
	if (io_read_file(u->path.s, &u->text, ACCOUNTS_FILE_MAX) < 0 &&
	    errno != ENOENT)
		die_sys(EXIT_TEMP, "cannot read %s", log_esc_s(u->path.s));
}

/* Iterate over the lines of text: 1 and the line, or 0 at the end. */
static int
next_line(const struct sbuf *t, size_t *pos, const char **line_r,
    size_t *len_r)
{
	const char *nl;

	if (*pos >= t->len)
		return 0;
	*line_r = t->s + *pos;
	nl = memchr(*line_r, '\n', t->len - *pos);
	*len_r = nl ? (size_t)(nl - *line_r) : t->len - *pos;
	*pos += *len_r + (nl != NULL);
	return 1;
}

/* Does this account line belong to key? */
static int
line_is(const struct maps_account *a, const struct sbuf *key)
{
	size_t i;

	if (a->addr.n != key->len)
		return 0;
	for (i = 0; i < a->addr.n; i++) {
		int c = (unsigned char)a->addr.p[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)key->s[i])
			return 0;
	}
	return 1;
}

/* Find the account's line; 1 and *a (slices into u->text), or 0. */
int
find_account(struct user *u, struct maps_account *a, size_t *start_r,
    size_t *end_r)
{
	const char *line, *why;
	size_t pos = 0, len;

	while (next_line(&u->text, &pos, &line, &len)) {
		if (maps_parse_account(line, len, a, &why) == 1 &&
		    line_is(a, &u->key)) {
			*start_r = (size_t)(line - u->text.s);
			*end_r = pos;
			return 1;
		}
	}
	return 0;
}

/* Write new contents, recompile; on a compile error put the old back. */
void
commit(struct user *u, const struct sbuf *newtext)
{
	struct maps_stats st;
	struct sbuf errs;
	size_t nerr;
	int r;

	if (durable_write_file_atomic(u->path.s, newtext->s, newtext->len,
	    ACCOUNTS_MODE) < 0)
		die_sys(EXIT_TEMP, "cannot write %s", log_esc_s(u->path.s));
	sbuf_init(&errs, MAPS_ERRORS_MAX);
	r = maps_compile(&u->o, &errs, &nerr, &st);
	if (r == 0) {
		sbuf_fini(&errs);
		return;
	}
	fputs(sbuf_str(&errs) ? sbuf_str(&errs) : "", stderr);
	if (durable_write_file_atomic(u->path.s, u->text.s, u->text.len,
	    ACCOUNTS_MODE) < 0)
		log_err_sys("cannot put back %s", log_esc_s(u->path.s));
	if (r == MAPS_EINPUT)
		die(EXIT_PERM, "the maps do not compile (%zu error%s): nothing "
		    "changed", nerr, nerr == 1 ? "" : "s");
	die(EXIT_TEMP, "cannot compile the maps: nothing changed");
}

/* --- passwords ----------------------------------------------------------- */

/* One line from fd into pw (without the line end). */
static int
read_line_fd(int fd, struct sbuf *pw)
{
	char c;
	ssize_t n;

	sbuf_reset(pw);
	for (;;) {
		if ((n = io_read(fd, &c, 1)) < 0)
			return -1;
		if (n == 0 || c == '\n')
			break;
		if (sbuf_cat_c(pw, c) < 0)
			return -1;
	}
	if (pw->len > 0 && pw->s[pw->len - 1] == '\r')
		sbuf_truncate(pw, pw->len - 1);
	return sbuf_nul(pw);
}

static int
prompt(int tty, const char *what, struct sbuf *pw)
{
	struct termios old, noecho;
	int r;

	if (tcgetattr(tty, &old) < 0)
		return -1;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (io_write_full(tty, what, strlen(what)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &noecho) < 0)
		return -1;
	r = read_line_fd(tty, pw);
	if (tcsetattr(tty, TCSAFLUSH, &old) < 0)
		r = -1;
	(void)io_write_full(tty, "\n", 1);	/* cosmetic */
	return r;
}

/* The new password, from stdin (one line) or the terminal (twice). */
static void
get_password(int from_stdin, struct sbuf *pw)
{
	struct sbuf again;
	int tty;

	if (from_stdin) {
		if (read_line_fd(0, pw) < 0)
			die_sys(EXIT_PERM, "cannot read the password");
	} else {
		if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
			die(EXIT_PERM, "no terminal to ask the password on: "
			    "use --password-stdin or --hash");
		sbuf_init(&again, PASSWD_PASSWORD_MAX);
		if (prompt(tty, "Password: ", pw) < 0 ||
		    prompt(tty, "Again: ", &again) < 0)
			die_sys(EXIT_PERM, "cannot read the password");
		(void)close(tty);	/* read-only use */
		if (pw->len != again.len ||
		    memcmp(pw->s, again.s, pw->len) != 0) {
			sbuf_fini_secret(&again);
			die(EXIT_PERM, "the passwords differ");
		}
		sbuf_fini_secret(&again);
	}
	if (pw->len == 0)
		die(EXIT_PERM, "empty password");
	if (sbuf_has_nul(pw))
		die(EXIT_PERM, "NUL byte in the password");
}

/* The hash to store: imported (--hash) or made from a password. */
static void
make_hash(struct user *u, const char *import, int from_stdin,
    struct sbuf *hash)
{
	struct sbuf pw;
	enum passwd_scheme scheme;
	const char *why, *name;

	if (import != NULL) {
		if (passwd_import(import, u->o.allow_plain, hash, &why) < 0)
			die(EXIT_PERM, "--hash: %s", why);
		return;
	}
	name = conf_str(u->cf, "password_scheme");
	if (name == NULL || passwd_scheme_parse(name, &scheme) < 0)
		die(EXIT_PERM, "password_scheme is not yescrypt or "
		    "sha512-crypt");
	sbuf_init(&pw, PASSWD_PASSWORD_MAX);
	get_password(from_stdin, &pw);
	if (passwd_hash(pw.s, scheme, hash) < 0) {
		sbuf_fini_secret(&pw);
		die_sys(EXIT_PERM, "cannot hash the password");
	}
	sbuf_fini_secret(&pw);
}

/* --- Maildir ------------------------------------------------------------- */

static void
own(const char *path, uid_t uid, int is_root)
{
	if (is_root && chown(path, uid, uid) < 0)
		die_sys(EXIT_TEMP, "cannot chown %s", log_esc_s(path));
}

/* mail_dir/XX/YY/address/{cur,new,tmp}, 0700, owned by the account. */
static void
make_maildir(const char *dir, uint32_t uid)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct sbuf p;
	size_t i, n = strlen(dir);
	int is_root = geteuid() == 0;

	sbuf_init(&p, MAPS_PATH_MAX * 2);
	/* The parents (mail_dir/XX/YY): traversable, not listable. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	while (n > 1 && dir[n - 1] != '/')
		n--;
	if (sbuf_set_n(&p, dir, n) < 0 || sbuf_nul(&p) < 0 ||
	    durable_mkdirs_sync(p.s, HASHDIR_MODE) < 0)
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(sbuf_str(&p)));
	if (durable_mkdir_sync(dir, MAILDIR_MODE) < 0)
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(dir));
	own(dir, uid, is_root);
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		sbuf_reset(&p);
		if (sbuf_printf(&p, "%s/%s", dir, subs[i]) < 0 ||
		    durable_mkdir_sync(p.s, MAILDIR_MODE) < 0)
			die_sys(EXIT_TEMP, "cannot create %s",
			    log_esc_s(sbuf_str(&p)));
		own(p.s, uid, is_root);
	}
	if (!is_root)
		log_info("not running as root: privilege steps skipped, the "
		    "Maildir belongs to uid %lu", (unsigned long)geteuid());
	sbuf_fini(&p);
}

/* The account's Maildir: home= or the hashed default. */
void
home_of(struct user *u, const struct maps_account *a, struct sbuf *home)
{
	sbuf_reset(home);
	if (a->home.n > 0 ? sbuf_set_n(home, a->home.p, a->home.n) < 0 :
	    maps_maildir_path(home, u->o.mail_dir, a->addr.p, a->addr.n) < 0)
		die_sys(EXIT_PERM, "Maildir path too long");
	if (sbuf_nul(home) < 0)
		die_sys(EXIT_TEMP, "out of memory");
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Remove a Maildir: only a folder holding cur, new and tmp. */
static void
purge(const char *dir, uint32_t uid)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct sbuf p;
	struct stat st;
	size_t i;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return;
		die_sys(EXIT_TEMP, "cannot stat %s", log_esc_s(dir));
	}
	if (!S_ISDIR(st.st_mode) || (geteuid() == 0 && st.st_uid != uid))
		die(EXIT_PERM, "%s is not the account's Maildir: not removed",
		    log_esc_s(dir));
	sbuf_init(&p, MAPS_PATH_MAX * 2);
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		sbuf_reset(&p);
		if (sbuf_printf(&p, "%s/%s", dir, subs[i]) < 0 ||
		    sbuf_nul(&p) < 0 || lstat(p.s, &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			die(EXIT_PERM, "%s has no %s/: not a Maildir, not "
			    "removed", log_esc_s(dir), subs[i]);
	}
	sbuf_fini(&p);
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		die_sys(EXIT_TEMP, "cannot remove %s", log_esc_s(dir));
	if (durable_fsync_parent(dir) < 0)
		die_sys(EXIT_TEMP, "cannot fsync the folder of %s",
		    log_esc_s(dir));
}

/* --- commands ------------------------------------------------------------ */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Lowest uid in range not used by any line; refuses a duplicate. */
static uint32_t
alloc_uid(struct user *u)
{
	struct maps_account a;
	const char *line, *why;
	size_t pos = 0, len, n = 0, cap = 0, i;
	uint32_t *uids = NULL, *nu, want;

	while (next_line(&u->text, &pos, &line, &len)) {
		if (maps_parse_account(line, len, &a, &why) != 1)
			continue;
		if (line_is(&a, &u->key))
			die(EXIT_PERM, "%s already exists", log_esc_s(u->addr));
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nu = realloc(uids, cap * sizeof *uids)) == NULL)
				die_sys(EXIT_TEMP, "out of memory");
			uids = nu;
		}
		uids[n++] = a.uid;
	}
	if (n > 0)
		qsort(uids, n, sizeof *uids, cmp_u32);
	want = (uint32_t)u->o.uid_min;
	for (i = 0; i < n; i++) {
		if (uids[i] < want)
			continue;
		if (uids[i] > want)
			break;
		if (want == u->o.uid_max)
			die(EXIT_PERM, "no free uid in account_uid_min.."
			    "account_uid_max");
		want++;
	}
	free(uids);
	if (want > u->o.uid_max)
		die(EXIT_PERM, "no free uid in account_uid_min..account_uid_max");
	return want;
}

/* The domain must be listed in domains as local or virtual. */
static void
check_domain(struct user *u)
{
	struct sbuf p, t;
	struct maps_slice d;
	enum maps_domain_kind kind;
	const char *line, *why, *dom = strrchr(u->key.s, '@') + 1;
	size_t pos = 0, len, i;
	int found = 0;

	sbuf_init(&p, MAPS_PATH_MAX * 2);
	sbuf_init(&t, ACCOUNTS_FILE_MAX);
	if (sbuf_printf(&p, "%s/domains", u->o.src_dir) < 0 ||
	    sbuf_nul(&p) < 0)
		die(EXIT_PERM, "path too long");
	if (io_read_file(p.s, &t, ACCOUNTS_FILE_MAX) < 0 && errno != ENOENT)
		die_sys(EXIT_TEMP, "cannot read %s", log_esc_s(p.s));
	while (!found && next_line(&t, &pos, &line, &len)) {
		if (maps_parse_domain(line, len, &d, &kind, &why) != 1 ||
		    kind == MAPS_DOMAIN_RELAY || d.n != strlen(dom))
			continue;
		for (i = 0; i < d.n; i++)
			if ((d.p[i] | 0x20) != (dom[i] | 0x20))
				break;
		found = i == d.n;
	}
	sbuf_fini(&t);
	sbuf_fini(&p);
	if (!found)
		die(EXIT_PERM, "domain %s is not listed as local or virtual "
		    "in domains", log_esc_s(dom));
}

static int
cmd_add(struct user *u, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "password-stdin", no_argument, NULL, 's' },
		{ "hash", required_argument, NULL, 'H' },
		{ "quota", required_argument, NULL, 'q' },
		{ "host", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sbuf hash, line, home, next;
	struct maps_account a;
	const char *import = NULL, *quota = NULL, *host = NULL, *why;
	uint64_t qv;
	uint32_t uid;
	int ch, from_stdin = 0, here;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			from_stdin = 1;
			break;
		case 'H':
			import = optarg;
			break;
		case 'q':
			quota = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	user_set_addr(u, argv[optind]);
	if (quota != NULL && scan_size_s(quota, &qv) < 0)
		die(EXIT_PERM, "--quota: not a size: %s", log_esc_s(quota));
	if (host != NULL && !maps_domain_valid(host, strlen(host)))
		die(EXIT_PERM, "--host: not a host name: %s", log_esc_s(host));
	check_domain(u);
	user_lock_read(u);
	uid = alloc_uid(u);
	sbuf_init(&hash, PASSWD_HASH_MAX + MAPS_LINE_MAX);
	make_hash(u, import, from_stdin, &hash);
	sbuf_init(&line, MAPS_LINE_MAX);
	if (sbuf_printf(&line, "%s uid=%lu", u->addr, (unsigned long)uid) < 0 ||
	    (quota && sbuf_printf(&line, " quota=%s", quota) < 0) ||
	    (host && sbuf_printf(&line, " host=%s", host) < 0) ||
	    sbuf_cat_s(&line, " pass=") < 0 || sbuf_cat_sbuf(&line, &hash) < 0)
		die(EXIT_PERM, "account line too long");
	if (maps_parse_account(line.s, line.len, &a, &why) != 1)
		die(EXIT_PERM, "bad account: %s", why);
	sbuf_init(&next, ACCOUNTS_FILE_MAX);
	if (sbuf_cat_sbuf(&next, &u->text) < 0 ||
	    (next.len > 0 && next.s[next.len - 1] != '\n' &&
	    sbuf_cat_c(&next, '\n') < 0) ||
	    sbuf_cat_sbuf(&next, &line) < 0 || sbuf_cat_c(&next, '\n') < 0)
		die_sys(EXIT_TEMP, "accounts file too large");
	sbuf_init(&home, MAPS_PATH_MAX * 2);
	home_of(u, &a, &home);
	/* An account of another storage host (INSTALL 7.3: added on the
	 * admin host with --host) gets its Maildir there, at its first
	 * delivery or login (tern-lspawn, lib/login_mon), not here. */
	here = user_is_here(u, &a);
	if (here)
		make_maildir(home.s, uid);
	commit(u, &next);
	if (here)
		printf("added %s uid=%lu maildir=%s\n", u->addr,
		    (unsigned long)uid, home.s);
	else
		printf("added %s uid=%lu maildir=%s (made on %s at the "
		    "first delivery or login)\n", u->addr, (unsigned long)uid,
		    home.s, host);
	sbuf_fini(&next);
	sbuf_fini(&home);
	sbuf_fini_secret(&line);
	sbuf_fini_secret(&hash);
	return EXIT_OK;
}

/* Rebuild a line without its pass= field, plus the new one. */
static void
replace_pass(const char *line, size_t len, const struct sbuf *hash,
    struct sbuf *out)
{
	const char *p = line, *end = line + len, *f;

	while (end > p && (end[-1] == '\r'))
		end--;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		f = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (p == f || ((size_t)(p - f) >= 5 &&
		    memcmp(f, "pass=", 5) == 0))
			continue;
		if ((out->len > 0 && sbuf_cat_c(out, ' ') < 0) ||
		    sbuf_cat_n(out, f, (size_t)(p - f)) < 0)
			die(EXIT_PERM, "account line too long");
	}
	if (sbuf_cat_s(out, " pass=") < 0 || sbuf_cat_sbuf(out, hash) < 0)
		die(EXIT_PERM, "account line too long");
}

static int
cmd_passwd(struct user *u, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "password-stdin", no_argument, NULL, 's' },
		{ "hash", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct maps_account a;
	struct sbuf hash, next;
	const char *import = NULL;
	size_t start, end;
	int ch, from_stdin = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 's')
			from_stdin = 1;
		else if (ch == 'H')
			import = optarg;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	user_set_addr(u, argv[optind]);
	user_lock_read(u);
	if (!find_account(u, &a, &start, &end))
		die(EXIT_PERM, "no such account: %s", log_esc_s(u->addr));
	sbuf_init(&hash, PASSWD_HASH_MAX + MAPS_LINE_MAX);
	make_hash(u, import, from_stdin, &hash);
	sbuf_init(&next, ACCOUNTS_FILE_MAX);
	if (sbuf_cat_n(&next, u->text.s, start) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	{
		struct sbuf l;
		const char *nl = memchr(u->text.s + start, '\n', end - start);

		sbuf_init(&l, MAPS_LINE_MAX);
		replace_pass(u->text.s + start, (size_t)((nl ? nl :
		    u->text.s + end) - (u->text.s + start)), &hash, &l);
		if (sbuf_cat_sbuf(&next, &l) < 0 || sbuf_cat_c(&next, '\n') < 0 ||
		    sbuf_cat_n(&next, u->text.s + end, u->text.len - end) < 0)
			die_sys(EXIT_TEMP, "out of memory");
		sbuf_fini_secret(&l);
	}
	commit(u, &next);
	printf("password set for %s\n", u->addr);
	sbuf_fini_secret(&hash);
	sbuf_fini(&next);
	return EXIT_OK;
}

static int
cmd_del(struct user *u, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "purge", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct maps_account a;
	struct sbuf next, home;
	size_t start, end;
	int ch, is_purge = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'p')
			is_purge = 1;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	user_set_addr(u, argv[optind]);
	user_lock_read(u);
	if (!find_account(u, &a, &start, &end))
		die(EXIT_PERM, "no such account: %s", log_esc_s(u->addr));
	sbuf_init(&home, MAPS_PATH_MAX * 2);
	home_of(u, &a, &home);
	sbuf_init(&next, ACCOUNTS_FILE_MAX);
	if (sbuf_cat_n(&next, u->text.s, start) < 0 ||
	    sbuf_cat_n(&next, u->text.s + end, u->text.len - end) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	commit(u, &next);
	if (is_purge) {
		purge(home.s, a.uid);
		printf("deleted %s and removed %s\n", u->addr, home.s);
	} else
		printf("deleted %s (Maildir %s kept)\n", u->addr, home.s);
	sbuf_fini(&next);
	sbuf_fini(&home);
	return EXIT_OK;
}

static int
cmd_list(struct user *u, int argc, char **argv)
{
	struct maps_account a;
	const char *line, *why;
	size_t pos = 0, len;

	(void)argv;
	if (argc != 1)
		usage();
	user_read(u);
	while (next_line(&u->text, &pos, &line, &len))
		if (maps_parse_account(line, len, &a, &why) == 1)
			printf("%.*s uid=%lu status=%s host=%.*s\n",
			    (int)a.addr.n, a.addr.p, (unsigned long)a.uid,
			    maps_status_name(a.status), (int)a.host.n,
			    a.host.p);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_sys(EXIT_TEMP, "cannot write the list");
	return EXIT_OK;
}

static int
cmd_show(struct user *u, int argc, char **argv)
{
	struct maps_account a;
	struct sbuf home;
	struct stat st;
	size_t start, end;

	if (argc != 2)
		usage();
	user_set_addr(u, argv[1]);
	user_read(u);
	if (!find_account(u, &a, &start, &end))
		die(EXIT_PERM, "no such account: %s", log_esc_s(u->addr));
	sbuf_init(&home, MAPS_PATH_MAX * 2);
	home_of(u, &a, &home);
	/* Never the hash: only whether there is one. */
	printf("address: %.*s\nuid: %lu\nstatus: %s\nhost: %.*s\n",
	    (int)a.addr.n, a.addr.p, (unsigned long)a.uid,
	    maps_status_name(a.status), (int)a.host.n, a.host.p);
	if (a.quota == 0)
		printf("quota: none\n");
	else
		printf("quota: %llu\n", (unsigned long long)a.quota);
	printf("maildir: %s%s\npassword: %s\n", home.s,
	    stat(home.s, &st) == 0 ? "" : " (missing)",
	    a.pass.n > 0 ? "set" : "none");
	sbuf_fini(&home);
	if (fflush(stdout) != 0)
		die_sys(EXIT_TEMP, "cannot write");
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct user u;
	const char *opt_c = NULL, *cmd;
	int ch, r;

	umask(077);
	log_init_env("tern-user", LOG_STDERR);
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		if (ch == 'c')
			opt_c = optarg;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: start afresh with argv[1] */
	user_init(&u, opt_c);
	if (strcmp(cmd, "add") == 0)
		r = cmd_add(&u, argc, argv);
	else if (strcmp(cmd, "del") == 0)
		r = cmd_del(&u, argc, argv);
	else if (strcmp(cmd, "passwd") == 0)
		r = cmd_passwd(&u, argc, argv);
	else if (strcmp(cmd, "list") == 0)
		r = cmd_list(&u, argc, argv);
	else if (strcmp(cmd, "show") == 0)
		r = cmd_show(&u, argc, argv);
	else if (strcmp(cmd, "move") == 0)
		r = user_cmd_move(&u, argc, argv);
	else if (strcmp(cmd, "receive") == 0)
		r = user_cmd_receive(&u, argc, argv);
	else
		usage();
	user_fini(&u);
	return r;
}
