/*
 * tern-dkim - DKIM keys and signatures by hand.
 *
 *   tern-dkim keygen [-c FILE] [-a rsa|ed25519] [-b BITS] [-d KEYDIR] [-f]
 *                    DOMAIN SELECTOR
 *   tern-dkim sign [-c FILE] [-d DOMAIN -s SELECTOR -k KEYFILE] [-t TIME]
 *                  < message
 *   tern-dkim txt KEYFILE DOMAIN SELECTOR
 *
 * See tern-dkim(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/dkim.h"
#include "lib/durable.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

/* tern-dkim sign holds the message to print it after the signature. */
#define SIGN_MESSAGE_MAX	((size_t)256 * 1024 * 1024)
#define SIGN_CHUNK		65536

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: tern-dkim keygen [-c FILE] [-a rsa|ed25519] [-b BITS] "
	    "[-d KEYDIR] [-f] DOMAIN SELECTOR\n"
	    "       tern-dkim sign [-c FILE] [-d DOMAIN -s SELECTOR -k KEYFILE] "
	    "[-t TIME] < message\n"
	    "       tern-dkim txt KEYFILE DOMAIN SELECTOR\n");
	exit(EXIT_PERM);
}

static struct conf *
read_conf(const char *opt_c)
{
	struct conf *cf = NULL;
	struct sbuf err;

	sbuf_init(&err, 4096);
	if (conf_read(opt_c, &cf, &err) < 0) {
		const char *s = sbuf_str(&err);

		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP, "configuration: %s",
		    s != NULL ? s : "");
	}
	sbuf_fini(&err);
	return cf;
}

static void
check_names(const char *domain, const char *selector)
{
	if (!dkim_name_valid(domain))
		die(EXIT_PERM, "bad domain: %s", log_esc_s(domain));
	if (!dkim_name_valid(selector))
		die(EXIT_PERM, "bad selector: %s", log_esc_s(selector));
}

static void
print_txt(const struct dkim_key *k, const char *domain, const char *selector)
{
	struct sbuf txt;

	sbuf_init(&txt, DKIM_SIG_MAX);
	if (dkim_key_txt(k, domain, selector, &txt) < 0)
		die_sys(EXIT_TEMP, "cannot make the DNS record");
	if (io_write_full(1, txt.s, txt.len) < 0)
		die_sys(EXIT_TEMP, "write");
	sbuf_fini(&txt);
}

/* Write the key: a new file, or (force) a complete replacement. */
static void
write_key(const char *dir, const char *path, const struct sbuf *pem,
    int force)
{
	int fd;

	if (durable_mkdir_sync(dir, 0700) < 0)
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(dir));
	if (force) {
		if (durable_write_file_atomic(path, pem->s, pem->len, 0600) < 0)
			die_sys(EXIT_TEMP, "cannot write %s", log_esc_s(path));
		return;
	}
	if ((fd = durable_open_excl(path, 0600)) < 0) {
		if (errno == EEXIST)
			die(EXIT_PERM, "%s exists (use -f to replace it)",
			    log_esc_s(path));
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(path));
	}
	if (io_write_full(fd, pem->s, pem->len) < 0 ||
	    durable_close_sync(fd) < 0 || durable_fsync_parent(path) < 0) {
		(void)unlink(path);	/* no half key left behind */
		die_sys(EXIT_TEMP, "cannot write %s", log_esc_s(path));
	}
}

static int
cmd_keygen(int argc, char **argv)
{
	const char *opt_c = NULL, *dir = NULL;
	enum dkim_alg alg = DKIM_RSA_SHA256;
	struct dkim_key *k = NULL;
	struct conf *cf = NULL;
	struct sbuf why, pem, path;
	uint64_t bits = 0;
	int ch, force = 0;

	while ((ch = getopt(argc, argv, "a:b:c:d:f")) != -1) {
		switch (ch) {
		case 'a':
			if (strcmp(optarg, "rsa") == 0)
				alg = DKIM_RSA_SHA256;
			else if (strcmp(optarg, "ed25519") == 0)
				alg = DKIM_ED25519_SHA256;
			else
				usage();
			break;
		case 'b':
			if (scan_u64_max_s(optarg, DKIM_RSA_BITS_MAX, &bits) < 0 ||
			    bits < DKIM_RSA_BITS_MIN)
				die(EXIT_PERM, "-b: %d to %d bits",
				    DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
			break;
		case 'c':
			opt_c = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	check_names(argv[optind], argv[optind + 1]);
	if (dir == NULL) {
		cf = read_conf(opt_c);
		if ((dir = conf_path(cf, "dkim_key_dir")) == NULL)
			die(EXIT_PERM, "dkim_key_dir is not an absolute path");
	}
	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&pem, DKIM_KEY_FILE_MAX);
	sbuf_init(&path, 4096);
	if (sbuf_printf(&path, "%s/%s.%s.key", dir, argv[optind],
	    argv[optind + 1]) < 0 || sbuf_nul(&path) < 0)
		die(EXIT_PERM, "key path too long");
	if (dkim_key_generate(alg, (unsigned)bits, &k, &why) < 0)
		die(EXIT_TEMP, "%s", sbuf_str(&why));
	if (dkim_key_pem(k, &pem) < 0)
		die_sys(EXIT_TEMP, "cannot encode the key");
	write_key(dir, path.s, &pem, force);
	sbuf_fini_secret(&pem);
	print_txt(k, argv[optind], argv[optind + 1]);
	log_info("keygen domain=%s selector=%s alg=%s bits=%u file=%s",
	    argv[optind], argv[optind + 1],
	    alg == DKIM_RSA_SHA256 ? "rsa" : "ed25519", dkim_key_bits(k),
	    log_esc_s(path.s));
	dkim_key_free(&k);
	sbuf_fini(&path);
	sbuf_fini(&why);
	conf_free(&cf);
	return EXIT_OK;
}

static int
cmd_txt(int argc, char **argv)
{
	struct dkim_key *k = NULL;
	struct sbuf why;

	if (argc != 4)
		usage();
	check_names(argv[2], argv[3]);
	sbuf_init(&why, DKIM_WHY_MAX);
	if (dkim_key_load(argv[1], &k, &why) < 0)
		die(errno == ENOENT || errno == EIO ? EXIT_TEMP : EXIT_PERM,
		    "%s", sbuf_str(&why));
	print_txt(k, argv[2], argv[3]);
	dkim_key_free(&k);
	sbuf_fini(&why);
	return EXIT_OK;
}

struct sign_args {
	const char	*opt_c, *domain, *selector, *keyfile;
	int64_t		 t;
	int		 has_t;
};

static void
sign_parse(int argc, char **argv, struct sign_args *a)
{
	uint64_t t;
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt(argc, argv, "c:d:k:s:t:")) != -1) {
		switch (ch) {
		case 'c':
			a->opt_c = optarg;
			break;
		case 'd':
			a->domain = optarg;
			break;
		case 'k':
			a->keyfile = optarg;
			break;
		case 's':
			a->selector = optarg;
			break;
		case 't':
			if (scan_u64_max_s(optarg, INT64_MAX, &t) < 0)
				die(EXIT_PERM, "-t: seconds since the epoch");
			a->t = (int64_t)t;
			a->has_t = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (a->keyfile != NULL && (a->domain == NULL || a->selector == NULL))
		die(EXIT_PERM, "-k needs -d DOMAIN and -s SELECTOR");
	if (a->keyfile != NULL)
		check_names(a->domain, a->selector);
}

/* No -k: the key of the From domain, as tern-remote would choose it. */
static struct dkim_key *
sign_select(struct sign_args *a, const struct sbuf *msg, struct sbuf *dom,
    struct sbuf *selbuf)
{
	struct dkim_key *k = NULL;
	struct conf *cf = read_conf(a->opt_c);
	const char *dir = conf_path(cf, "dkim_key_dir");
	const char *sel = a->selector ? a->selector :
	    conf_str(cf, "dkim_selector");
	struct sbuf why, from;
	int r;

	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&from, DKIM_NAME_MAX + 1);
	if (dir == NULL || sel == NULL)
		die(EXIT_PERM, "dkim_key_dir or dkim_selector is bad");
	if (a->domain != NULL) {
		if (sbuf_set_s(&from, a->domain) < 0 || sbuf_nul(&from) < 0)
			die(EXIT_PERM, "bad domain");
	} else if (dkim_from_domain(msg->s, msg->len, &from, &why) < 0)
		die(EXIT_PERM, "%s", sbuf_str(&why));
	r = dkim_select(dir, sel, from.s, &k, dom, &why);
	if (r < 0)
		die(EXIT_TEMP, "%s", sbuf_str(&why));
	if (r == 0)
		die(EXIT_PERM, "no key for %s in %s", from.s, log_esc_s(dir));
	if (sbuf_set_s(selbuf, sel) < 0 || sbuf_nul(selbuf) < 0)
		die_sys(EXIT_TEMP, "selector");
	a->selector = selbuf->s;
	a->domain = dom->s;
	sbuf_fini(&from);
	sbuf_fini(&why);
	conf_free(&cf);
	return k;
}

/* Read the message; with a key already known, sign as it streams in. */
static void
sign_read(struct sbuf *msg, struct dkim_sign *s)
{
	ssize_t n;

	for (;;) {
		if (sbuf_reserve(msg, SIGN_CHUNK) < 0)
			die(EXIT_PERM, "message larger than %zu bytes",
			    SIGN_MESSAGE_MAX);
		if ((n = io_read(0, msg->s + msg->len, SIGN_CHUNK)) < 0)
			die_sys(EXIT_TEMP, "read");
		if (n == 0)
			break;
		if (s != NULL && dkim_sign_update(s, msg->s + msg->len,
		    (size_t)n) < 0)
			die_sys(EXIT_PERM, "cannot sign");
		msg->len += (size_t)n;
	}
}

/* Print the field with the message's own line ends, then the message. */
static void
sign_print(const struct sbuf *sig, const struct sbuf *msg)
{
	const char *nl = memchr(msg->s, '\n', msg->len);
	int bare_lf = nl != NULL && (nl == msg->s || nl[-1] != '\r');
	struct sbuf out;
	size_t i;

	sbuf_init(&out, DKIM_SIG_MAX);
	for (i = 0; i < sig->len; i++)
		if (!(bare_lf && sig->s[i] == '\r') &&
		    sbuf_cat_c(&out, sig->s[i]) < 0)
			die_sys(EXIT_TEMP, "out of memory");
	if (io_write_full(1, out.s, out.len) < 0 ||
	    io_write_full(1, msg->s, msg->len) < 0)
		die_sys(EXIT_TEMP, "write");
	sbuf_fini(&out);
}

static int
cmd_sign(int argc, char **argv)
{
	struct sign_args a;
	struct dkim_key *k = NULL;
	struct dkim_sign *s = NULL;
	struct sbuf why, msg, sig, dom, sel;

	sign_parse(argc, argv, &a);
	sbuf_init(&why, DKIM_WHY_MAX);
	sbuf_init(&msg, SIGN_MESSAGE_MAX);
	sbuf_init(&sig, DKIM_SIG_MAX);
	sbuf_init(&dom, DKIM_NAME_MAX + 1);
	sbuf_init(&sel, DKIM_NAME_MAX + 1);
	if (a.keyfile != NULL && dkim_key_load(a.keyfile, &k, &why) < 0)
		die(errno == ENOENT ? EXIT_TEMP : EXIT_PERM, "%s",
		    sbuf_str(&why));
	if (k != NULL && (s = dkim_sign_init(k, a.domain, a.selector, NULL,
	    &why)) == NULL)
		die(EXIT_PERM, "%s", sbuf_str(&why));
	sign_read(&msg, s);
	if (k == NULL) {
		k = sign_select(&a, &msg, &dom, &sel);
		if ((s = dkim_sign_init(k, a.domain, a.selector, NULL,
		    &why)) == NULL || dkim_sign_update(s, msg.s, msg.len) < 0)
			die(EXIT_PERM, "cannot sign");
	}
	if (a.has_t)
		dkim_sign_set_time(s, a.t);
	if (dkim_sign_final(s, &sig, &why) < 0)
		die(errno == EINVAL || errno == E2BIG ? EXIT_PERM : EXIT_TEMP,
		    "%s", sbuf_str(&why));
	sign_print(&sig, &msg);
	dkim_sign_free(&s);
	dkim_key_free(&k);
	sbuf_fini(&why);
	sbuf_fini(&msg);
	sbuf_fini(&sig);
	sbuf_fini(&dom);
	sbuf_fini(&sel);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	umask(077);
	log_init("tern-dkim", LOG_STDERR);
	if (argc < 2)
		usage();
	argc--;
	argv++;
	optind = 1;
	if (strcmp(argv[0], "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(argv[0], "sign") == 0)
		return cmd_sign(argc, argv);
	if (strcmp(argv[0], "txt") == 0)
		return cmd_txt(argc, argv);
	usage();
}
