/* tls.c - TLS over a struct bio with OpenSSL 3; see tls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/sbuf.h"
#include "lib/tls.h"

struct tls_ctx {
	SSL_CTX		*ssl_ctx;	/* NULL while a lazy context waits */
	int		 is_server;
	int		 failed;	/* a lazy context could not be made */
	char		*pem_cert;	/* lazy: the files' bytes until used */
	size_t		 ncert;
	char		*pem_key;
	size_t		 nkey;
};

struct tls_conn {
	SSL		*ssl;
	BIO_METHOD	*meth;
	struct bio	*bio;		/* NULL once detached */
	int		 rfd, wfd;
	int		 rsock, wsock;	/* -1 unknown, 0 no, 1 socket */
	int		 eof;		/* the transport read end of file */
	struct sbuf	 err;		/* last I/O failure, for tls_conn_error */
};

/* Reasons: our words, then what OpenSSL queued.  Cut at why_r->max. */
static void why_set(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
why_set(struct sbuf *why_r, const char *fmt, ...)
{
	va_list ap;

	if (why_r == NULL)
		return;
	sbuf_reset(why_r);
	va_start(ap, fmt);
	/* A reason longer than why_r->max stays empty: never mind. */
	(void)sbuf_vprintf(why_r, fmt, ap);
	va_end(ap);
}

/* Append OpenSSL's error queue (and empty it). */
static void
why_add_queue(struct sbuf *why_r)
{
	char buf[256];
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		if (why_r == NULL)
			continue;
		ERR_error_string_n(e, buf, sizeof buf);
		/* Cut at the maximum: the first errors matter most. */
		(void)sbuf_printf(why_r, ": %s", buf);
	}
}

static void
why_ssl(struct sbuf *why_r, const char *what)
{
	why_set(why_r, "%s", what);
	why_add_queue(why_r);
}

/*
 * The transport: a BIO on the bio's descriptors that never blocks and
 * never raises SIGPIPE, so the descriptors' flags stay as they are.
 */
static int
tbio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int
tbio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

static long
tbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_conn *c = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_EOF:
		/* OpenSSL asks this to tell end of file from an error. */
		return c != NULL && c->eof;
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_PUSH:
	case BIO_CTRL_POP:
		return 1;
	default:
		return 0;
	}
}

/* Non-socket descriptor: ready now?  1 yes, 0 no, -1 error. */
static int
ready_now(int fd, short ev)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = ev;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (pfd.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	return r > 0;
}

static ssize_t
raw_read(struct tls_conn *c, void *buf, size_t n)
{
	ssize_t r;
	int k;

	for (;;) {
		if (c->rsock != 0) {
			r = recv(c->rfd, buf, n, MSG_DONTWAIT);
			if (r < 0 && errno == ENOTSOCK) {
				c->rsock = 0;
				continue;
			}
			c->rsock = 1;
		} else {
			if ((k = ready_now(c->rfd, POLLIN)) <= 0) {
				if (k == 0)
					errno = EAGAIN;
				return -1;
			}
			r = read(c->rfd, buf, n);
		}
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static ssize_t
raw_write(struct tls_conn *c, const void *buf, size_t n)
{
	ssize_t r;
	int k;

	for (;;) {
		if (c->wsock != 0) {
			r = send(c->wfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && errno == ENOTSOCK) {
				c->wsock = 0;
				continue;
			}
			c->wsock = 1;
		} else {
			if ((k = ready_now(c->wfd, POLLOUT)) <= 0) {
				if (k == 0)
					errno = EAGAIN;
				return -1;
			}
			/* A writable pipe takes PIPE_BUF bytes without blocking. */
			r = write(c->wfd, buf, n > PIPE_BUF ? PIPE_BUF : n);
		}
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static int
tbio_read_ex(BIO *b, char *buf, size_t n, size_t *got)
{
	struct tls_conn *c = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	*got = 0;
	if (c == NULL || n == 0)
		return 0;
	r = raw_read(c, buf, n);
	if (r > 0) {
		*got = (size_t)r;
		return 1;
	}
	if (r == 0)
		c->eof = 1;
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		BIO_set_retry_read(b);
	return 0;
}

static int
tbio_write_ex(BIO *b, const char *buf, size_t n, size_t *put)
{
	struct tls_conn *c = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	*put = 0;
	if (c == NULL)
		return 0;
	if (n == 0)
		return 1;
	r = raw_write(c, buf, n);
	if (r > 0) {
		*put = (size_t)r;
		return 1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return 0;
}

static BIO_METHOD *
tbio_method(void)
{
	BIO_METHOD *m;

	if ((m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "tern-fd")) == NULL)
		return NULL;
	if (BIO_meth_set_read_ex(m, tbio_read_ex) != 1 ||
	    BIO_meth_set_write_ex(m, tbio_write_ex) != 1 ||
	    BIO_meth_set_ctrl(m, tbio_ctrl) != 1 ||
	    BIO_meth_set_create(m, tbio_create) != 1 ||
	    BIO_meth_set_destroy(m, tbio_destroy) != 1) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* The policy of tls.h, for both sides. */
static SSL_CTX *
ctx_policy(const SSL_METHOD *method, struct sbuf *why_r)
{
	SSL_CTX *sc;

	ERR_clear_error();
	if ((sc = SSL_CTX_new(method)) == NULL) {
		why_ssl(why_r, "SSL_CTX_new");
		errno = ENOMEM;
		return NULL;
	}
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	(void)SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(sc, TLS_CIPHERS_12) != 1 ||
	    SSL_CTX_set_num_tickets(sc, 0) != 1) {
		why_ssl(why_r, "TLS policy");
		SSL_CTX_free(sc);
		errno = EPROTO;
		return NULL;
	}
	return sc;
}

static struct tls_ctx *
ctx_wrap(SSL_CTX *sc, int is_server)
{
	struct tls_ctx *ctx;

	if ((ctx = mem_alloc(1, sizeof *ctx)) == NULL) {
		SSL_CTX_free(sc);
		return NULL;
	}
	ctx->ssl_ctx = sc;
	ctx->is_server = is_server;
	return ctx;
}

struct tls_ctx *
tls_server_ctx_new(const char *cert_path, const char *key_path,
    struct sbuf *why_r)
{
	SSL_CTX *sc;
	struct tls_ctx *ctx;

	if (cert_path == NULL || key_path == NULL) {
		why_set(why_r, "no certificate or key file given");
		errno = EINVAL;
		return NULL;
	}
	if ((sc = ctx_policy(TLS_server_method(), why_r)) == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(sc, cert_path) != 1) {
		why_ssl(why_r, "cannot load the certificate chain");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(sc, key_path, SSL_FILETYPE_PEM) != 1) {
		why_ssl(why_r, "cannot load the private key");
		goto fail;
	}
	if (SSL_CTX_check_private_key(sc) != 1) {
		why_ssl(why_r, "the private key does not match the certificate");
		goto fail;
	}
	if ((ctx = ctx_wrap(sc, 1)) == NULL)
		why_set(why_r, "out of memory");
	return ctx;
fail:
	SSL_CTX_free(sc);
	errno = EPROTO;
	return NULL;
}

/*
 * Lazy server contexts.  Making an SSL_CTX and parsing the key costs
 * several milliseconds of CPU, most of a short SMTP session's own cost,
 * and most sessions on port 25 never say STARTTLS.  So the privileged
 * start-up only reads the two files into memory (the process holds the
 * key either way) and the context is made from those bytes at the first
 * tls_server_start, after the privilege drop and the chroot: no file is
 * opened then.
 */
static void
pem_wipe(char **p, size_t *n)
{
	if (*p != NULL) {
		explicit_bzero(*p, *n);
		free(*p);
	}
	*p = NULL;
	*n = 0;
}

/* The whole of a small file, NUL-terminated, or NULL (why_r says). */
static char *
pem_slurp(const char *path, const char *what, size_t *n_r, struct sbuf *why_r)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		why_set(why_r, "cannot open the %s %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(TLS_PEM_MAX + 1)) == NULL) {
		(void)close(fd);
		why_set(why_r, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	while (n < TLS_PEM_MAX + 1 &&
	    (r = read(fd, buf + n, TLS_PEM_MAX + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			why_set(why_r, "cannot read the %s %s: %s", what,
			    path, strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if (n > TLS_PEM_MAX) {
		why_set(why_r, "the %s %s is larger than %d bytes", what,
		    path, TLS_PEM_MAX);
		errno = EFBIG;
		goto fail;
	}
	(void)close(fd);
	buf[n] = '\0';
	*n_r = n;
	return buf;
fail:
	explicit_bzero(buf, n);
	free(buf);
	(void)close(fd);
	return NULL;
}

struct tls_ctx *
tls_server_ctx_lazy(const char *cert_path, const char *key_path,
    struct sbuf *why_r)
{
	struct tls_ctx *ctx;

	if (cert_path == NULL || key_path == NULL) {
		why_set(why_r, "no certificate or key file given");
		errno = EINVAL;
		return NULL;
	}
	if ((ctx = mem_alloc(1, sizeof *ctx)) == NULL) {
		why_set(why_r, "out of memory");
		return NULL;
	}
	ctx->is_server = 1;
	if ((ctx->pem_cert = pem_slurp(cert_path, "certificate chain",
	    &ctx->ncert, why_r)) == NULL ||
	    (ctx->pem_key = pem_slurp(key_path, "private key", &ctx->nkey,
	    why_r)) == NULL)
		goto fail;
	/* A cheap look now, so a wrong file is reported at start. */
	if (strstr(ctx->pem_cert, "-----BEGIN CERTIFICATE-----") == NULL) {
		why_set(why_r, "cannot load the certificate chain: no PEM "
		    "certificate in %s", cert_path);
		goto einval;
	}
	if (strstr(ctx->pem_key, "PRIVATE KEY-----") == NULL) {
		why_set(why_r, "cannot load the private key: no PEM private "
		    "key in %s", key_path);
		goto einval;
	}
	return ctx;
einval:
	errno = EPROTO;
fail:
	tls_ctx_free(&ctx);
	return NULL;
}

/* Make a lazy context's SSL_CTX from the bytes read at start. */
static int
ctx_materialise(struct tls_ctx *ctx, struct sbuf *why_r)
{
	SSL_CTX *sc = NULL;
	BIO *mb = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	const char *what = "the certificate chain";

	if (ctx->ssl_ctx != NULL)
		return 0;
	if (ctx->failed || ctx->pem_cert == NULL || ctx->pem_key == NULL) {
		why_set(why_r, "the TLS certificate or key could not be used");
		errno = EPROTO;
		return -1;
	}
	if ((sc = ctx_policy(TLS_server_method(), why_r)) == NULL)
		goto fail_quiet;
	if ((mb = BIO_new_mem_buf(ctx->pem_cert, (int)ctx->ncert)) == NULL ||
	    (x = PEM_read_bio_X509_AUX(mb, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(sc, x) != 1)
		goto fail;
	X509_free(x);
	x = NULL;
	(void)SSL_CTX_clear_chain_certs(sc);
	while ((x = PEM_read_bio_X509(mb, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(sc, x) != 1)
			goto fail;
		x = NULL;	/* the context owns it */
	}
	ERR_clear_error();	/* the end of the chain reads as an error */
	BIO_free(mb);
	what = "the private key";
	if ((mb = BIO_new_mem_buf(ctx->pem_key, (int)ctx->nkey)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(mb, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_PrivateKey(sc, pk) != 1)
		goto fail;
	if (SSL_CTX_check_private_key(sc) != 1) {
		what = "the private key: it does not match the certificate";
		goto fail;
	}
	EVP_PKEY_free(pk);
	BIO_free(mb);
	pem_wipe(&ctx->pem_key, &ctx->nkey);
	pem_wipe(&ctx->pem_cert, &ctx->ncert);
	ctx->ssl_ctx = sc;
	return 0;
fail:
	why_ssl(why_r, what);
fail_quiet:
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(mb);
	SSL_CTX_free(sc);
	pem_wipe(&ctx->pem_key, &ctx->nkey);
	pem_wipe(&ctx->pem_cert, &ctx->ncert);
	ctx->failed = 1;
	errno = EPROTO;
	return -1;
}

int
tls_ctx_ready(struct tls_ctx *ctx, struct sbuf *why_r)
{
	return ctx_materialise(ctx, why_r);
}

struct tls_ctx *
tls_client_ctx_new(const char *ca_file, struct sbuf *why_r)
{
	SSL_CTX *sc;
	struct tls_ctx *ctx;
	int r;

	if ((sc = ctx_policy(TLS_client_method(), why_r)) == NULL)
		return NULL;
	if (ca_file != NULL)
		r = SSL_CTX_load_verify_locations(sc, ca_file, NULL);
	else
		r = SSL_CTX_set_default_verify_paths(sc);
	if (r != 1) {
		why_ssl(why_r, ca_file != NULL ? "cannot load the CA file" :
		    "cannot load the system CA store");
		SSL_CTX_free(sc);
		errno = EPROTO;
		return NULL;
	}
	if ((ctx = ctx_wrap(sc, 0)) == NULL)
		why_set(why_r, "out of memory");
	return ctx;
}

void
tls_ctx_free(struct tls_ctx **ctxp)
{
	struct tls_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	pem_wipe(&ctx->pem_key, &ctx->nkey);
	pem_wipe(&ctx->pem_cert, &ctx->ncert);
	free(ctx);
	*ctxp = NULL;
}

/* The bio ops: SSL_read/SSL_write, with OpenSSL's wants mapped to bio's. */
static ssize_t
conn_failed(struct tls_conn *c, int ret, const char *what)
{
	int saved = errno;
	int e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return BIO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return BIO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		why_set(&c->err, "%s: %s", what,
		    saved != 0 ? strerror(saved) : "connection lost");
		why_add_queue(&c->err);
		errno = saved != 0 ? saved : ECONNRESET;
		return -1;
	default:
		why_ssl(&c->err, what);
		errno = EPROTO;
		return -1;
	}
}

static ssize_t
conn_read(void *ctx, void *buf, size_t n)
{
	struct tls_conn *c = ctx;
	size_t got = 0;
	ssize_t r;

	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(c->ssl, buf, n, &got) == 1)
		return (ssize_t)got;
	r = conn_failed(c, 0, "TLS read");
	return r;
}

static ssize_t
conn_write(void *ctx, const void *buf, size_t n)
{
	struct tls_conn *c = ctx;
	size_t put = 0;
	ssize_t r;

	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(c->ssl, buf, n, &put) == 1)
		return (ssize_t)put;
	r = conn_failed(c, 0, "TLS write");
	if (r == 0) {
		/* The peer closed: no more writing. */
		why_set(&c->err, "TLS write: peer sent close_notify");
		errno = EPIPE;
		r = -1;
	}
	return r;
}

static size_t
conn_pending(void *ctx)
{
	struct tls_conn *c = ctx;
	int n = SSL_pending(c->ssl);

	return n > 0 ? (size_t)n : 0;
}

void
tls_conn_free(struct tls_conn **cp)
{
	struct tls_conn *c = *cp;

	if (c == NULL)
		return;
	if (c->bio != NULL)
		bio_set_fd_ops(c->bio);
	SSL_free(c->ssl);		/* frees the transport BIO too */
	BIO_meth_free(c->meth);
	sbuf_fini(&c->err);
	free(c);
	*cp = NULL;
}

/* Refuse plaintext that arrived before the handshake; flush our reply. */
static int
start_check(struct bio *b, struct sbuf *why_r)
{
	if (bio_pending(b) > 0) {
		why_set(why_r, "%zu bytes of plaintext arrived before the TLS "
		    "handshake (pipelined after STARTTLS): refused",
		    bio_pending(b));
		errno = EPROTO;
		return -1;
	}
	if (bio_flush(b) < 0) {
		why_set(why_r, "flush before TLS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static struct tls_conn *
conn_new(struct tls_ctx *ctx, struct bio *b, struct sbuf *why_r)
{
	struct tls_conn *c;
	BIO *tb;

	ERR_clear_error();
	if ((c = mem_alloc(1, sizeof *c)) == NULL) {
		why_set(why_r, "out of memory");
		return NULL;
	}
	sbuf_init(&c->err, TLS_WHY_MAX);
	c->rfd = bio_rfd(b);
	c->wfd = bio_wfd(b);
	c->rsock = c->wsock = -1;
	if ((c->ssl = SSL_new(ctx->ssl_ctx)) == NULL ||
	    (c->meth = tbio_method()) == NULL ||
	    (tb = BIO_new(c->meth)) == NULL) {
		why_ssl(why_r, "cannot set up the TLS connection");
		tls_conn_free(&c);
		errno = ENOMEM;
		return NULL;
	}
	BIO_set_data(tb, c);
	SSL_set_bio(c->ssl, tb, tb);
	return c;
}

/* Add the certificate verification result to a handshake failure. */
static void
why_verify(struct tls_conn *c, struct sbuf *why_r)
{
	long v = SSL_get_verify_result(c->ssl);

	if (why_r == NULL || v == X509_V_OK)
		return;
	(void)sbuf_printf(why_r, " (certificate: %s)",
	    X509_verify_cert_error_string(v));
}

static int
handshake(struct tls_conn *c, int64_t timeout_ms, struct sbuf *why_r)
{
	int64_t deadline = timeout_ms > 0 ? io_deadline_ms(timeout_ms) :
	    IO_NO_DEADLINE;
	int r, e;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_do_handshake(c->ssl)) == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = io_wait(c->rfd, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = io_wait(c->wfd, POLLOUT, deadline);
		else if (e == SSL_ERROR_SYSCALL) {
			e = errno;
			why_set(why_r, "TLS handshake: %s", e != 0 ?
			    strerror(e) : "connection closed by the peer");
			why_add_queue(why_r);
			errno = e != 0 ? e : ECONNRESET;
			return -1;
		} else {
			why_ssl(why_r, "TLS handshake failed");
			why_verify(c, why_r);
			errno = EPROTO;
			return -1;
		}
		if (r < 0) {
			e = errno;
			why_set(why_r, "TLS handshake: %s", e == ETIMEDOUT ?
			    "timed out" : strerror(e));
			errno = e;
			return -1;
		}
	}
}

static struct tls_conn *
conn_start(struct tls_conn *c, struct bio *b, int64_t timeout_ms,
    struct sbuf *why_r)
{
	int e;

	if (handshake(c, timeout_ms, why_r) < 0) {
		e = errno;
		tls_conn_free(&c);
		errno = e;
		return NULL;
	}
	c->bio = b;
	bio_set_ops(b, c, conn_read, conn_write, conn_pending);
	return c;
}

struct tls_conn *
tls_server_start(struct tls_ctx *ctx, struct bio *b, int64_t timeout_ms,
    struct sbuf *why_r)
{
	struct tls_conn *c;

	if (!ctx->is_server) {
		why_set(why_r, "tls_server_start with a client context");
		errno = EINVAL;
		return NULL;
	}
	if (start_check(b, why_r) < 0 || ctx_materialise(ctx, why_r) < 0 ||
	    (c = conn_new(ctx, b, why_r)) == NULL)
		return NULL;
	SSL_set_accept_state(c->ssl);
	return conn_start(c, b, timeout_ms, why_r);
}

/* SNI and the name to verify: a DNS name, or an IP address (no SNI). */
static int
client_name(struct tls_conn *c, const char *name, struct sbuf *why_r)
{
	unsigned char addr[16];
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);

	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
			why_ssl(why_r, "cannot set the IP address to verify");
			return -1;
		}
		return 0;
	}
	if (SSL_set_tlsext_host_name(c->ssl, name) != 1 ||
	    SSL_set1_host(c->ssl, name) != 1) {
		why_ssl(why_r, "cannot set the server name");
		return -1;
	}
	return 0;
}

struct tls_conn *
tls_client_start(struct tls_ctx *ctx, struct bio *b, const char *servername,
    int verify_required, int64_t timeout_ms, struct sbuf *why_r)
{
	struct tls_conn *c;

	if (ctx->is_server) {
		why_set(why_r, "tls_client_start with a server context");
		errno = EINVAL;
		return NULL;
	}
	if (verify_required && (servername == NULL || *servername == '\0')) {
		why_set(why_r, "verification needs a server name");
		errno = EINVAL;
		return NULL;
	}
	if (start_check(b, why_r) < 0 || (c = conn_new(ctx, b, why_r)) == NULL)
		return NULL;
	if (servername != NULL && *servername != '\0' &&
	    client_name(c, servername, why_r) < 0) {
		tls_conn_free(&c);
		errno = EINVAL;
		return NULL;
	}
	/* Without VERIFY_PEER OpenSSL still verifies and keeps the result. */
	SSL_set_verify(c->ssl, verify_required ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	SSL_set_connect_state(c->ssl);
	return conn_start(c, b, timeout_ms, why_r);
}

/* Log-safe copy: \xNN for anything but printable ASCII other than \ and ". */
static int
cat_log_safe(struct sbuf *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int r = 0;

	for (i = 0; i < n && i < TLS_PEER_LOG_MAX && r == 0; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
			r = sbuf_cat_c(out, p[i]);
		else
			r = sbuf_printf(out, "\\x%c%c", hex[p[i] >> 4],
			    hex[p[i] & 0xf]);
	}
	if (r == 0 && n > TLS_PEER_LOG_MAX)
		r = sbuf_cat_s(out, "...");
	return r;
}

static int
info_verify(struct tls_conn *c, X509 *peer, struct sbuf *out)
{
	long v = SSL_get_verify_result(c->ssl);
	const char *s;
	int r;

	if (peer == NULL)
		return sbuf_cat_s(out, " verify=none");
	if (v == X509_V_OK)
		return sbuf_cat_s(out, " verify=ok");
	if ((r = sbuf_cat_s(out, " verify=fail:")) < 0)
		return r;
	for (s = X509_verify_cert_error_string(v); *s != '\0' && r == 0; s++)
		r = sbuf_cat_c(out, *s == ' ' ? '_' : *s);
	return r;
}

static int
info_peer(X509 *peer, struct sbuf *out)
{
	X509_NAME *name;
	X509_NAME_ENTRY *ent;
	ASN1_STRING *cn;
	int i;

	if (peer == NULL || (name = X509_get_subject_name(peer)) == NULL)
		return 0;
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    (ent = X509_NAME_get_entry(name, i)) == NULL ||
	    (cn = X509_NAME_ENTRY_get_data(ent)) == NULL)
		return sbuf_cat_s(out, " peer=-");
	if (sbuf_cat_s(out, " peer=") < 0)
		return -1;
	return cat_log_safe(out, ASN1_STRING_get0_data(cn),
	    (size_t)ASN1_STRING_length(cn));
}

int
tls_conn_info(struct tls_conn *c, struct sbuf *out)
{
	X509 *peer = SSL_get0_peer_certificate(c->ssl);

	if (sbuf_printf(out, "tls=%s cipher=%s", SSL_get_version(c->ssl),
	    SSL_get_cipher_name(c->ssl)) < 0 ||
	    info_verify(c, peer, out) < 0 || info_peer(peer, out) < 0)
		return -1;
	return 0;
}

int
tls_conn_verified(struct tls_conn *c)
{
	return SSL_get0_peer_certificate(c->ssl) != NULL &&
	    SSL_get_verify_result(c->ssl) == X509_V_OK;
}

const char *
tls_conn_error(struct tls_conn *c)
{
	const char *s = sbuf_str(&c->err);

	return s != NULL ? s : "";
}

int
tls_shutdown(struct tls_conn *c, int64_t timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? io_deadline_ms(timeout_ms) :
	    IO_NO_DEADLINE;
	int r, e, ret = 0;

	if (c->bio == NULL)
		return 0;
	if (bio_flush(c->bio) < 0)
		ret = -1;
	e = errno;
	while (ret == 0) {
		ERR_clear_error();
		if ((r = SSL_shutdown(c->ssl)) >= 0)
			break;	/* 0: close_notify sent, we do not wait */
		r = SSL_get_error(c->ssl, r);
		if (r == SSL_ERROR_WANT_WRITE)
			r = io_wait(c->wfd, POLLOUT, deadline);
		else if (r == SSL_ERROR_WANT_READ)
			r = io_wait(c->rfd, POLLIN, deadline);
		else {
			why_ssl(&c->err, "TLS shutdown");
			e = EPROTO;
			ret = -1;
			break;
		}
		if (r < 0) {
			e = errno;
			why_set(&c->err, "TLS shutdown: %s", strerror(e));
			ret = -1;
		}
	}
	ERR_clear_error();
	bio_set_fd_ops(c->bio);
	c->bio = NULL;
	errno = e;
	return ret;
}

/*
 * One TLS 1.3 handshake and a record each way between two in-memory
 * SSL objects of this process (tls.h: tls_ctx_warm).
 */
static int
warm_pair(SSL *s, SSL *c)
{
	static const char ping[1] = { 'w' };
	char got[1];
	int i, ds = 0, dc = 0;
	size_t n;

	for (i = 0; i < 32 && (ds != 1 || dc != 1); i++) {
		if (dc != 1)
			dc = SSL_do_handshake(c);
		if (ds != 1)
			ds = SSL_do_handshake(s);
	}
	if (ds != 1 || dc != 1)
		return -1;
	if (SSL_write_ex(s, ping, 1, &n) != 1 ||
	    SSL_read_ex(c, got, 1, &n) != 1 ||
	    SSL_write_ex(c, ping, 1, &n) != 1 ||
	    SSL_read_ex(s, got, 1, &n) != 1)
		return -1;
	return 0;
}

int
tls_ctx_warm(struct tls_ctx *ctx, struct sbuf *why_r)
{
	SSL_CTX *cc = NULL;
	SSL *s = NULL, *c = NULL;
	BIO *bs = NULL, *bc = NULL;
	int r = -1;

	if (ctx == NULL || !ctx->is_server) {
		why_set(why_r, "not a server context");
		errno = EINVAL;
		return -1;
	}
	if (ctx_materialise(ctx, why_r) < 0)
		return -1;
	ERR_clear_error();
	if ((cc = ctx_policy(TLS_client_method(), why_r)) == NULL)
		return -1;
	SSL_CTX_set_verify(cc, SSL_VERIFY_NONE, NULL);
	if ((s = SSL_new(ctx->ssl_ctx)) == NULL ||
	    (c = SSL_new(cc)) == NULL ||
	    BIO_new_bio_pair(&bs, 0, &bc, 0) != 1) {
		why_ssl(why_r, "warm-up set-up");
		goto out;
	}
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	bs = bc = NULL;	/* the SSLs own them */
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (warm_pair(s, c) < 0) {
		why_ssl(why_r, "warm-up handshake");
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		errno = EPROTO;
	BIO_free(bs);
	BIO_free(bc);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cc);
	ERR_clear_error();
	return r;
}
