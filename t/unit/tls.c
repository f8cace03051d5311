/*
 * Unit tests for lib/tls: a self-signed certificate made at test time,
 * socketpair + fork, the server in the child and the client in the parent
 * (or the other way), lines and 1 MB both ways, verification with the
 * right and a wrong name, plaintext pipelined after STARTTLS, a handshake
 * timeout and a TLS 1.1 client refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/sbuf.h"
#include "lib/tls.h"
#include "t/tap.h"

#define NAME_OK		"mx.tern.test"
#define NAME_BAD	"other.tern.test"
#define BIG		(1024 * 1024)
#define TIMEOUT		20000	/* ms: generous, never asserted */

static char dir[] = "/tmp/tern-tls-XXXXXX";
static char cert_path[64], key_path[64], bad_path[64];

/* A P-256 key and a self-signed certificate for NAME_OK (SAN and CN). */
static int
make_cert(void)
{
	EVP_PKEY *pk;
	X509 *x;
	X509_NAME *nm;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *f;
	int r = -1;

	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)NAME_OK, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:" NAME_OK);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1)
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (X509_sign(x, pk, EVP_sha256()) == 0)
		goto out;
	if ((f = fopen(cert_path, "w")) == NULL)
		goto out;
	if (PEM_write_X509(f, x) != 1) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || (f = fopen(key_path, "w")) == NULL)
		goto out;
	if (PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) != 1) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		goto out;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

/* A second key, for the "key does not match" test. */
static int
make_bad_key(void)
{
	EVP_PKEY *pk;
	FILE *f;
	int r = -1;

	if ((pk = EVP_EC_gen("P-256")) == NULL)
		return -1;
	if ((f = fopen(bad_path, "w")) != NULL) {
		if (PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1)
			r = 0;
		if (fclose(f) != 0)
			r = -1;
	}
	EVP_PKEY_free(pk);
	return r;
}

static int
has(struct sbuf *s, const char *needle)
{
	const char *p = sbuf_str(s);

	return p != NULL && strstr(p, needle) != NULL;
}

static struct bio *
new_bio(int fd)
{
	struct bio *b = bio_new(fd, fd);

	if (b != NULL)
		bio_set_timeout(b, TIMEOUT, TIMEOUT);
	return b;
}

/* The child side of a pair: run fn on fd, exit 0 when it says so. */
static pid_t
spawn(int (*fn)(int, void *), int fd, int other, void *arg)
{
	pid_t pid;
	int r;

	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	close(other);
	r = fn(fd, arg);
	exit(r == 0 ? 0 : r > 0 ? r : 1);
}

static int
reap(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
fill_pattern(char *buf, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (char)((i * 7 + seed) % 251);
}

/* Read BIG bytes and compare them with the pattern. */
static int
recv_big(struct bio *b, unsigned seed)
{
	char *want = malloc(BIG), *got = malloc(BIG);
	int r = -1;

	if (want != NULL && got != NULL) {
		fill_pattern(want, BIG, seed);
		if (bio_read_full(b, got, BIG) == BIG &&
		    memcmp(want, got, BIG) == 0)
			r = 0;
	}
	free(want);
	free(got);
	return r;
}

static int
send_big(struct bio *b, unsigned seed)
{
	char *buf = malloc(BIG);
	int r = -1;

	if (buf != NULL) {
		fill_pattern(buf, BIG, seed);
		if (bio_write(b, buf, BIG) == 0 && bio_flush(b) == 0)
			r = 0;
	}
	free(buf);
	return r;
}

static int
expect_line(struct bio *b, const char *want)
{
	struct sbuf line;
	int eol, r;

	sbuf_init(&line, 1024);
	r = bio_getline(b, &line, 1000, &eol);
	if (r == BIO_OK && eol == BIO_EOL_CRLF && sbuf_str(&line) != NULL &&
	    strcmp(sbuf_str(&line), want) == 0)
		r = 0;
	else {
		fprintf(stderr, "# expected \"%s\", got r=%d \"%s\"\n", want,
		    r, sbuf_str(&line));
		r = -1;
	}
	sbuf_fini(&line);
	return r;
}

/* Server side of the good session: greet, echo lines, 1 MB each way. */
static int
server_good(int fd, void *arg)
{
	struct tls_ctx *sctx = arg;
	struct bio *b = new_bio(fd);
	struct tls_conn *c = NULL;
	struct sbuf why, info;
	int r = -1, eol;

	sbuf_init(&why, TLS_WHY_MAX);
	sbuf_init(&info, 512);
	if (b == NULL || expect_line(b, "STARTTLS") < 0 ||
	    bio_printf(b, "220 go ahead\r\n") < 0)
		goto out;
	if ((c = tls_server_start(sctx, b, TIMEOUT, &why)) == NULL) {
		fprintf(stderr, "# server: %s\n", sbuf_str(&why));
		goto out;
	}
	if (tls_conn_info(c, &info) < 0 || !has(&info, "verify=none") ||
	    has(&info, "peer=")) {
		fprintf(stderr, "# server info: %s\n", sbuf_str(&info));
		goto out;
	}
	if (expect_line(b, "EHLO client") < 0 ||
	    bio_printf(b, "250 hello %s\r\n", "client") < 0 ||
	    bio_flush(b) < 0 || recv_big(b, 1) < 0 || send_big(b, 2) < 0 ||
	    expect_line(b, "QUIT") < 0)
		goto out;
	/* The client shut down: end of file, cleanly. */
	sbuf_reset(&info);
	if (bio_getline(b, &info, 100, &eol) != BIO_EOF)
		goto out;
	/* The client may be gone already: the result does not matter. */
	(void)tls_shutdown(c, TIMEOUT);
	r = 0;
out:
	tls_conn_free(&c);
	bio_free(&b);
	sbuf_fini(&why);
	sbuf_fini(&info);
	close(fd);
	return r;
}

static void
test_good(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	int sv[2];
	pid_t pid;
	struct bio *b;
	struct tls_conn *c = NULL;
	struct sbuf why, info;

	sbuf_init(&why, TLS_WHY_MAX);
	sbuf_init(&info, 512);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = spawn(server_good, sv[1], sv[0], sctx);
	close(sv[1]);
	b = new_bio(sv[0]);
	ok(b != NULL && bio_printf(b, "STARTTLS\r\n") == 0 &&
	    bio_flush(b) == 0 && expect_line(b, "220 go ahead") == 0,
	    "plaintext STARTTLS exchange");
	c = tls_client_start(cctx, b, NAME_OK, 1, TIMEOUT, &why);
	ok(c != NULL, "client handshake with verification: %s",
	    c == NULL ? sbuf_str(&why) : "ok");
	if (c == NULL) {
		bio_free(&b);
		close(sv[0]);
		reap(pid);
		skip(9, "no TLS session");
		goto out;
	}
	is_int(tls_conn_info(c, &info), 0, "info");
	diag("client: %s", sbuf_str(&info));
	ok(has(&info, "tls=TLSv1.3 "), "TLS 1.3 negotiated");
	ok(has(&info, " cipher=TLS_"), "cipher named");
	ok(has(&info, " verify=ok peer=" NAME_OK), "verified, peer CN");
	is_int(tls_conn_verified(c), 1, "tls_conn_verified");
	ok(bio_printf(b, "EHLO client\r\n") == 0 && bio_flush(b) == 0 &&
	    expect_line(b, "250 hello client") == 0, "a line each way");
	ok(send_big(b, 1) == 0 && recv_big(b, 2) == 0, "1 MB each way");
	ok(bio_printf(b, "QUIT\r\n") == 0 && tls_shutdown(c, TIMEOUT) == 0,
	    "shutdown sends close_notify");
	tls_conn_free(&c);
	bio_free(&b);
	close(sv[0]);
	is_int(reap(pid), 0, "server side saw everything");
out:
	sbuf_fini(&why);
	sbuf_fini(&info);
}

/* Server side that only handshakes (expected to fail or succeed). */
static int
server_plain(int fd, void *arg)
{
	struct tls_ctx *sctx = arg;
	struct bio *b = new_bio(fd);
	struct tls_conn *c = NULL;
	struct sbuf why;
	int r = -1;

	sbuf_init(&why, TLS_WHY_MAX);
	if (b != NULL && (c = tls_server_start(sctx, b, TIMEOUT, &why)) != NULL) {
		/* Echo one line, for the unverified session. */
		if (expect_line(b, "PING") == 0 &&
		    bio_printf(b, "PONG\r\n") == 0 && bio_flush(b) == 0)
			r = 0;
		(void)tls_shutdown(c, TIMEOUT);
	} else
		r = 2;
	tls_conn_free(&c);
	bio_free(&b);
	sbuf_fini(&why);
	close(fd);
	return r == 2 ? 3 : r;
}

static void
test_wrong_name(struct tls_ctx *sctx, struct tls_ctx *cctx, int verify)
{
	int sv[2], st;
	pid_t pid;
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why, info;

	sbuf_init(&why, TLS_WHY_MAX);
	sbuf_init(&info, 512);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = spawn(server_plain, sv[1], sv[0], sctx);
	close(sv[1]);
	b = new_bio(sv[0]);
	c = tls_client_start(cctx, b, NAME_BAD, verify, TIMEOUT, &why);
	if (verify) {
		ok(c == NULL, "wrong name with verification: refused");
		is_int(errno, EPROTO, "errno EPROTO");
		ok(has(&why, "certificate verify failed") &&
		    has(&why, "hostname mismatch"), "why: %s",
		    sbuf_str(&why));
	} else {
		ok(c != NULL, "wrong name without verification: goes on");
		if (c != NULL)
			(void)tls_conn_info(c, &info);
		ok(has(&info, " verify=fail:hostname_mismatch peer=" NAME_OK),
		    "info reports the failure: %s", sbuf_str(&info));
		ok(c != NULL && tls_conn_verified(c) == 0, "not verified");
		ok(c != NULL && bio_printf(b, "PING\r\n") == 0 &&
		    bio_flush(b) == 0 && expect_line(b, "PONG") == 0,
		    "the session works");
		if (c != NULL)
			(void)tls_shutdown(c, TIMEOUT);
	}
	tls_conn_free(&c);
	bio_free(&b);
	close(sv[0]);
	st = reap(pid);
	if (verify)
		is_int(st, 3, "server handshake failed too");
	else
		is_int(st, 0, "server side fine");
	sbuf_fini(&why);
	sbuf_fini(&info);
}

/* Plaintext after STARTTLS (server) or after "220" (client) is refused. */
static void
test_pipelined(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	static const char inj[] = "STARTTLS\r\nMAIL FROM:<evil@x>\r\n";
	static const char rinj[] = "220 ready\r\n250 injected\r\n";
	int sv[2];
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why;

	sbuf_init(&why, TLS_WHY_MAX);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	b = new_bio(sv[0]);
	ok(io_write_full(sv[1], inj, sizeof inj - 1) == 0 &&
	    expect_line(b, "STARTTLS") == 0, "STARTTLS read");
	ok(bio_pending(b) > 0, "pipelined bytes are pending");
	c = tls_server_start(sctx, b, 1000, &why);
	ok(c == NULL, "server start refused");
	is_int(errno, EPROTO, "errno EPROTO");
	ok(has(&why, "plaintext"), "why: %s", sbuf_str(&why));
	bio_discard_input(b);
	is_int((long long)bio_pending(b), 0, "caller discards it");
	bio_free(&b);

	b = new_bio(sv[1]);
	ok(io_write_full(sv[0], rinj, sizeof rinj - 1) == 0 &&
	    expect_line(b, "220 ready") == 0, "220 read");
	c = tls_client_start(cctx, b, NAME_OK, 1, 1000, &why);
	ok(c == NULL && errno == EPROTO && has(&why, "plaintext"),
	    "client start refused after an injected reply");
	bio_free(&b);
	close(sv[0]);
	close(sv[1]);
	sbuf_fini(&why);
}

/* A silent peer: the handshake times out (the error, not the time). */
static void
test_timeout(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	int sv[2];
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why;

	sbuf_init(&why, TLS_WHY_MAX);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	b = new_bio(sv[0]);
	c = tls_server_start(sctx, b, 200, &why);
	ok(c == NULL && errno == ETIMEDOUT, "server: silent client times out");
	ok(has(&why, "timed out"), "why: %s", sbuf_str(&why));
	bio_free(&b);
	b = new_bio(sv[0]);
	c = tls_client_start(cctx, b, NAME_OK, 1, 200, &why);
	ok(c == NULL && errno == ETIMEDOUT, "client: silent server times out");
	bio_free(&b);
	close(sv[0]);
	close(sv[1]);
	sbuf_fini(&why);
}

/* A raw OpenSSL client limited to TLS 1.1: must fail. */
static int
client_tls11(int fd, void *arg)
{
	SSL_CTX *sc;
	SSL *ssl;
	int r = 1;

	(void)arg;
	if ((sc = SSL_CTX_new(TLS_client_method())) == NULL)
		return 2;
	SSL_CTX_set_security_level(sc, 0);
	if (SSL_CTX_set_min_proto_version(sc, TLS1_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(sc, TLS1_1_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(sc, "DEFAULT:@SECLEVEL=0") != 1 ||
	    (ssl = SSL_new(sc)) == NULL) {
		SSL_CTX_free(sc);
		return 2;
	}
	if (SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) != 1)
		r = 0;	/* refused, as it must be */
	SSL_free(ssl);
	SSL_CTX_free(sc);
	close(fd);
	return r;
}

static void
test_old_client(struct tls_ctx *sctx)
{
	int sv[2];
	pid_t pid;
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why;

	sbuf_init(&why, TLS_WHY_MAX);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = spawn(client_tls11, sv[1], sv[0], NULL);
	close(sv[1]);
	b = new_bio(sv[0]);
	c = tls_server_start(sctx, b, TIMEOUT, &why);
	ok(c == NULL && errno == EPROTO, "TLS 1.1 client refused");
	ok(has(&why, "unsupported protocol"), "why: %s", sbuf_str(&why));
	tls_conn_free(&c);
	bio_free(&b);
	close(sv[0]);
	is_int(reap(pid), 0, "the TLS 1.1 client failed");
	sbuf_fini(&why);
}

/* A raw OpenSSL client: version cap, cipher list, then PING/PONG, checks
 * that no session ticket came, then writes plaintext garbage. */
struct raw_opts {
	int		 max_version;
	const char	*ciphers;	/* TLS 1.2 list, NULL for the default */
	int		 just_close;	/* no garbage: close without close_notify */
	int		 reneg;		/* no garbage: try to renegotiate */
};

static int
raw_client(int fd, void *arg)
{
	struct raw_opts *o = arg;
	SSL_CTX *sc;
	SSL *ssl = NULL;
	char buf[16];
	size_t n = 0;
	int r = 10;

	if ((sc = SSL_CTX_new(TLS_client_method())) == NULL)
		return 2;
	if (SSL_CTX_set_max_proto_version(sc, o->max_version) != 1 ||
	    (o->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(sc, o->ciphers) != 1) ||
	    (ssl = SSL_new(sc)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		r = 2;
		goto out;
	}
	if (SSL_connect(ssl) != 1)
		goto out;	/* 10: refused */
	r = 3;
	if (SSL_write(ssl, "PING\r\n", 6) != 6 ||
	    SSL_read_ex(ssl, buf, sizeof buf, &n) != 1 || n != 6 ||
	    memcmp(buf, "PONG\r\n", 6) != 0)
		goto out;
	r = 4;
	if (SSL_SESSION_has_ticket(SSL_get_session(ssl)) ||
	    SSL_SESSION_is_resumable(SSL_get_session(ssl)))
		goto out;
	if (o->reneg) {
		/* The server must refuse (no_renegotiation alert). */
		r = SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) != 1 ?
		    0 : 6;
		goto out;
	}
	r = 5;
	if (o->just_close || io_write_full(fd, "garbage\r\n", 9) == 0)
		r = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(sc);
	close(fd);
	return r;
}

/* Server: handshake with a raw client, PING/PONG, then the garbage fails. */
static void
test_raw(struct tls_ctx *sctx, struct raw_opts *o, const char *want_info,
    int want_ok)
{
	int sv[2], eol;
	pid_t pid;
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why, info;

	sbuf_init(&why, TLS_WHY_MAX);
	sbuf_init(&info, 512);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = spawn(raw_client, sv[1], sv[0], o);
	close(sv[1]);
	b = new_bio(sv[0]);
	c = tls_server_start(sctx, b, TIMEOUT, &why);
	if (!want_ok) {
		ok(c == NULL && errno == EPROTO, "%s: refused", want_info);
		ok(has(&why, "no shared cipher"), "why: %s", sbuf_str(&why));
		is_int(reap(pid), 10, "the raw client failed");
		goto out;
	}
	ok(c != NULL, "%s: handshake: %s", want_info,
	    c == NULL ? sbuf_str(&why) : "ok");
	if (c != NULL)
		(void)tls_conn_info(c, &info);
	ok(has(&info, want_info), "info: %s", sbuf_str(&info));
	ok(c != NULL && expect_line(b, "PING") == 0 &&
	    bio_printf(b, "PONG\r\n") == 0 && bio_flush(b) == 0, "PING/PONG");
	sbuf_reset(&info);
	if (o->reneg) {
		ok(c != NULL && bio_getline(b, &info, 100, &eol) != BIO_OK,
		    "no line after a renegotiation attempt");
	} else if (o->just_close) {
		ok(c != NULL && bio_getline(b, &info, 100, &eol) == BIO_EOF,
		    "a close without close_notify reads as end of file: %s",
		    c == NULL ? "" : tls_conn_error(c));
	} else
	ok(c != NULL && bio_getline(b, &info, 100, &eol) == -1 &&
	    errno == EPROTO && *tls_conn_error(c) != '\0',
	    "plaintext after the handshake is an error: %s",
	    c == NULL ? "" : tls_conn_error(c));
	is_int(reap(pid), 0, o->reneg ? "raw client: renegotiation refused" :
	    "raw client: no session ticket, no resumption");
out:
	tls_conn_free(&c);
	bio_free(&b);
	close(sv[0]);
	sbuf_fini(&why);
	sbuf_fini(&info);
}

static void
test_tls12(struct tls_ctx *sctx)
{
	struct raw_opts o12 = { TLS1_2_VERSION, NULL, 0, 0 };
	struct raw_opts o13 = { TLS1_3_VERSION, NULL, 0, 0 };
	struct raw_opts eof = { TLS1_3_VERSION, NULL, 1, 0 };
	struct raw_opts reneg = { TLS1_2_VERSION, NULL, 0, 1 };
	struct raw_opts cbc = { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", 0, 0 };

	test_raw(sctx, &o12, "tls=TLSv1.2 cipher=ECDHE-ECDSA-", 1);
	test_raw(sctx, &o13, "tls=TLSv1.3 cipher=TLS_", 1);
	test_raw(sctx, &eof, "tls=TLSv1.3 cipher=TLS_", 1);
	test_raw(sctx, &reneg, "tls=TLSv1.2 cipher=ECDHE-ECDSA-", 1);
	test_raw(sctx, &cbc, "TLS 1.2 CBC-only client", 0);
}

/* Two pipes instead of a socket: the non-socket transport path. */
static int
server_pipes(int fd, void *arg)
{
	int *p = arg;
	struct bio *b = bio_new(fd, p[1]);
	struct tls_ctx *sctx = *(struct tls_ctx **)(p + 2);
	struct tls_conn *c = NULL;
	int r = -1;

	if (b != NULL) {
		bio_set_timeout(b, TIMEOUT, TIMEOUT);
		c = tls_server_start(sctx, b, TIMEOUT, NULL);
	}
	if (c != NULL && expect_line(b, "HELLO") == 0 && recv_big(b, 5) == 0 &&
	    bio_printf(b, "OK\r\n") == 0 && send_big(b, 6) == 0)
		r = 0;
	if (c != NULL)
		(void)tls_shutdown(c, TIMEOUT);
	tls_conn_free(&c);
	bio_free(&b);
	return r;
}

static void
test_pipes(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	int up[2], down[2];
	int arg[2 + sizeof(void *) / sizeof(int) + 1];
	pid_t pid;
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why;

	sbuf_init(&why, TLS_WHY_MAX);
	if (pipe(up) < 0 || pipe(down) < 0)
		return;
	/* Server reads up[0], writes down[1]; the client the reverse. */
	arg[0] = up[0];
	arg[1] = down[1];
	memcpy(arg + 2, &sctx, sizeof sctx);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(up[1]);
		close(down[0]);
		exit(server_pipes(up[0], arg) == 0 ? 0 : 1);
	}
	close(up[0]);
	close(down[1]);
	b = bio_new(down[0], up[1]);
	bio_set_timeout(b, TIMEOUT, TIMEOUT);
	c = tls_client_start(cctx, b, NAME_OK, 1, TIMEOUT, &why);
	ok(c != NULL, "TLS over two pipes: %s", c == NULL ? sbuf_str(&why) :
	    "ok");
	ok(c != NULL && bio_printf(b, "HELLO\r\n") == 0 && send_big(b, 5) == 0 &&
	    expect_line(b, "OK") == 0 && recv_big(b, 6) == 0,
	    "pipes: a line and 1 MB each way");
	if (c != NULL)
		(void)tls_shutdown(c, TIMEOUT);
	tls_conn_free(&c);
	bio_free(&b);
	close(down[0]);
	close(up[1]);
	is_int(reap(pid), 0, "pipes: server side fine");
	sbuf_fini(&why);
}

/* An IP address as the name: no SNI, checked against IP SANs (none). */
static void
test_ip_name(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	int sv[2];
	pid_t pid;
	struct bio *b;
	struct tls_conn *c;
	struct sbuf why;

	sbuf_init(&why, TLS_WHY_MAX);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = spawn(server_plain, sv[1], sv[0], sctx);
	close(sv[1]);
	b = new_bio(sv[0]);
	c = tls_client_start(cctx, b, "127.0.0.1", 1, TIMEOUT, &why);
	ok(c == NULL && has(&why, "IP address mismatch"),
	    "IP literal checked against the certificate: %s", sbuf_str(&why));
	tls_conn_free(&c);
	bio_free(&b);
	close(sv[0]);
	is_int(reap(pid), 3, "server handshake failed too");
	sbuf_fini(&why);
}

static void
test_ctx_errors(void)
{
	struct tls_ctx *ctx;
	struct sbuf why;
	char missing[80];

	sbuf_init(&why, TLS_WHY_MAX);
	(void)snprintf(missing, sizeof missing, "%s/missing.pem", dir);
	ctx = tls_server_ctx_new(missing, key_path, &why);
	ok(ctx == NULL && has(&why, "certificate"), "missing cert: %s",
	    sbuf_str(&why));
	ctx = tls_server_ctx_new(cert_path, bad_path, &why);
	ok(ctx == NULL && has(&why, "private key") && has(&why, "mismatch"),
	    "wrong key: %s",
	    sbuf_str(&why));
	ctx = tls_client_ctx_new(missing, &why);
	ok(ctx == NULL && has(&why, "CA file"), "missing CA file");
	ctx = tls_client_ctx_new(NULL, &why);
	ok(ctx != NULL, "system CA store");
	tls_ctx_free(&ctx);
	ok(ctx == NULL, "tls_ctx_free NULLs");
	sbuf_fini(&why);
}

/* tls_server_ctx_lazy: files read at once, the context made on first use. */
static void
test_lazy(struct tls_ctx *cctx)
{
	struct tls_ctx *ctx;
	int r;
	struct sbuf why;
	char missing[80];

	sbuf_init(&why, TLS_WHY_MAX);
	ctx = tls_server_ctx_lazy(cert_path, key_path, &why);
	ok(ctx != NULL, "lazy server context: %s", sbuf_str(&why));
	if (ctx != NULL && cctx != NULL)
		test_good(ctx, cctx);	/* made in the forked server */
	r = ctx != NULL && tls_ctx_ready(ctx, &why) == 0;
	ok(r, "lazy context made");
	r = ctx != NULL && tls_ctx_ready(ctx, &why) == 0;
	ok(r, "made once, kept");
	tls_ctx_free(&ctx);
	ctx = tls_server_ctx_lazy(cert_path, key_path, &why);
	r = ctx != NULL && tls_ctx_warm(ctx, &why) == 0;
	ok(r, "a lazy context is made and warmed: %s", sbuf_str(&why));
	tls_ctx_free(&ctx);
	ctx = tls_server_ctx_lazy(cert_path, bad_path, &why);
	r = ctx != NULL && tls_ctx_warm(ctx, &why) == -1;
	ok(r && has(&why, "mismatch"),
	    "warming a lazy context with a wrong key fails: %s", sbuf_str(&why));
	tls_ctx_free(&ctx);
	ctx = tls_server_ctx_lazy(cert_path, bad_path, &why);
	ok(ctx != NULL, "lazy: a wrong key is only found when used");
	/* (the reason is read after the call: it may move the buffer) */
	r = ctx != NULL && tls_ctx_ready(ctx, &why) < 0;
	ok(r && has(&why, "mismatch"), "lazy wrong key: %s", sbuf_str(&why));
	sbuf_reset(&why);
	r = ctx != NULL && tls_ctx_ready(ctx, &why) < 0 && errno == EPROTO;
	ok(r, "and stays unusable: %s", sbuf_str(&why));
	tls_ctx_free(&ctx);
	ctx = tls_server_ctx_lazy(key_path, key_path, &why);
	ok(ctx == NULL && has(&why, "no PEM certificate"),
	    "lazy: not a certificate: %s", sbuf_str(&why));
	ctx = tls_server_ctx_lazy(cert_path, cert_path, &why);
	ok(ctx == NULL && has(&why, "no PEM private key"),
	    "lazy: not a key: %s", sbuf_str(&why));
	(void)snprintf(missing, sizeof missing, "%s/missing.pem", dir);
	ctx = tls_server_ctx_lazy(missing, key_path, &why);
	ok(ctx == NULL && errno == ENOENT && has(&why, "cannot open"),
	    "lazy: missing file: %s", sbuf_str(&why));
	sbuf_fini(&why);
}

int
main(void)
{
	struct tls_ctx *sctx = NULL, *cctx = NULL;
	struct sbuf why;
	int warmed;

	signal(SIGPIPE, SIG_IGN);
	sbuf_init(&why, TLS_WHY_MAX);
	if (mkdtemp(dir) == NULL)
		return 1;
	(void)snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	(void)snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	(void)snprintf(bad_path, sizeof bad_path, "%s/bad.pem", dir);
	ok(make_cert() == 0 && make_bad_key() == 0, "self-signed certificate");
	sctx = tls_server_ctx_new(cert_path, key_path, &why);
	ok(sctx != NULL, "server context: %s", sbuf_str(&why));
	cctx = tls_client_ctx_new(cert_path, &why);
	ok(cctx != NULL, "client context: %s", sbuf_str(&why));
	/* Warmed as a fork server does: the tests below fork from it. */
	warmed = sctx != NULL && tls_ctx_warm(sctx, &why) == 0;
	ok(warmed, "server context warmed: %s", sbuf_str(&why));
	errno = 0;
	warmed = cctx != NULL && tls_ctx_warm(cctx, &why) == -1 &&
	    errno == EINVAL;
	ok(warmed, "a client context is not warmed");
	if (sctx != NULL && cctx != NULL) {
		test_good(sctx, cctx);
		test_wrong_name(sctx, cctx, 1);
		test_wrong_name(sctx, cctx, 0);
		test_pipelined(sctx, cctx);
		test_timeout(sctx, cctx);
		test_old_client(sctx);
		test_tls12(sctx);
		test_pipes(sctx, cctx);
		test_ip_name(sctx, cctx);
	}
	test_ctx_errors();
	test_lazy(cctx);
	tls_ctx_free(&sctx);
	tls_ctx_free(&cctx);
	sbuf_fini(&why);
	(void)unlink(cert_path);
	(void)unlink(key_path);
	(void)unlink(bad_path);
	(void)rmdir(dir);
	return done_testing();
}
