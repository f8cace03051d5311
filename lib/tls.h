/*
 * tls.h - TLS for protocol sessions (STARTTLS, implicit TLS on 465, 993,
 * 995) over a struct bio.  The only module that uses OpenSSL's TLS API, and
 * the one place where TLS policy lives (STYLE 12).
 *
 * Policy (both sides): TLS 1.2 at least; TLS 1.3 with OpenSSL's default
 * suites; TLS 1.2 with ECDHE key exchange and AEAD ciphers only
 * (TLS_CIPHERS_12); no compression; no renegotiation; no session tickets,
 * no session cache (a process serves one connection, resumption buys
 * nothing).  A peer that closes without close_notify reads as end of file
 * (the mail protocols end their own data; see SSL_OP_IGNORE_UNEXPECTED_EOF).
 *
 * Contexts.  tls_server_ctx_new(cert, key, why) loads the certificate
 * chain (PEM, leaf first) and the private key: call it BEFORE the privilege
 * drop, in the process that serves TLS; the key never leaves that
 * process's memory.  tls_client_ctx_new(ca_file, why) trusts the PEM
 * bundle ca_file, or the system store when ca_file is NULL.  Both read
 * their files at once: make contexts before chroot (the system store's
 * hashed folder, searched lazily, is out of reach in a jail; its bundle
 * file is not).  A context serves any number of connections and forks.
 * tls_server_ctx_lazy(cert, key, why) is the same for a process that may
 * never need TLS (an SMTP session on port 25, a POP3/IMAP session without
 * STARTTLS): it only reads both files (at most TLS_PEM_MAX bytes each)
 * and checks they look like PEM; the SSL_CTX is made from those bytes at
 * the first tls_server_start, or by tls_ctx_ready(ctx, why), with no file
 * opened then (it works after chroot).  A key that turns out unusable
 * makes that start fail (why says so) and every later one.  The key's
 * bytes are wiped once parsed and on tls_ctx_free.  Making an SSL_CTX
 * costs milliseconds of CPU: the lazy form saves them per session.
 * tls_ctx_free(&ctx) frees a context and NULLs the pointer; connections
 * made from it keep what they need.
 *
 * tls_ctx_warm(ctx, why) (a server context; a lazy one is made first) runs
 * one full handshake and a record each way between this process and
 * itself, in memory (no descriptor, no file): for a fork server before it
 * forks, so that OpenSSL's per-process start-up (algorithm look-ups in the
 * provider, the key's precomputed values) is done once and inherited,
 * not repeated by every child (bench/pop3: ~0.8 ms CPU per TLS session).
 * Nothing of that handshake stays (no session cache, no tickets: see the
 * policy); each child makes its own key shares and randomness (OpenSSL
 * reseeds after a fork).  The key's RSA blinding values, made then, start
 * the same in every child and are renewed by OpenSSL as it uses them; the
 * private-key operation itself is constant-time.  0, or -1 with errno
 * (EINVAL: not a server context; EPROTO) and why.
 *
 * Connections.  tls_server_start(ctx, b, timeout_ms, why) and
 * tls_client_start(ctx, b, servername, verify_required, timeout_ms, why)
 * first refuse (NULL, errno EPROTO, a why saying so) when bio_pending(b)
 * is not 0: bytes received in plaintext after STARTTLS (or after the
 * server's "ready" reply) would otherwise be taken as if they came over
 * TLS (the STARTTLS command-injection attack, CVE-2011-0411).  The caller
 * decides: bio_discard_input(b) and start again, or end the session.
 * Then they flush b's output (the "220 ready" reply), run the handshake
 * on b's descriptors within timeout_ms (0: no limit; a timeout gives
 * ETIMEDOUT), and on success plug OpenSSL into b with bio_set_ops: from
 * then on bio_getline, bio_read, bio_write, bio_printf and bio_flush speak
 * TLS, and bio_pending counts SSL_pending.  The descriptors are never put
 * in non-blocking mode: sockets use MSG_DONTWAIT (and MSG_NOSIGNAL, so no
 * SIGPIPE), other descriptors are poll-checked first like bio does.
 * The client sends servername as SNI (unless it is an IP address) and
 * checks the certificate against it (DNS names, or the IP address; no
 * partial wildcards).  With verify_required the handshake fails on any
 * verification error; without, it goes on and tls_conn_info reports the
 * result (opportunistic SMTP TLS, RFC 7435).  The server asks for no
 * client certificate.  A second start on a bio that already speaks TLS is
 * the caller's bug: protocols refuse a second STARTTLS (RFC 3207 4.2).
 *
 * tls_conn_info(c, out) appends one log fragment to out:
 *   "tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 verify=ok peer=mx.example"
 * verify is "ok", "none" (no peer certificate: the usual server side) or
 * "fail:" and OpenSSL's reason with '_' for blanks ("fail:hostname_mismatch");
 * peer is the certificate subject's CN, escaped (\xNN for blanks, control,
 * non-ASCII, '\' and '"') and cut to TLS_PEER_LOG_MAX bytes; no peer= when
 * there is no certificate.  tls_conn_verified(c) is 1 only when there is a
 * peer certificate and it verified (chain and name).
 *
 * tls_shutdown(c, timeout_ms) flushes b, sends close_notify (without
 * waiting for the peer's), and puts b back on plain descriptor ops; b must
 * not be used for the session any more.  tls_conn_free(&c) frees the
 * connection and NULLs the pointer; when b still uses its ops it puts b
 * back on plain ops first, so call it while b exists (before bio_free).
 *
 * Errors.  Functions return NULL or -1 with errno set (EPROTO for a TLS
 * failure, ETIMEDOUT, ENOMEM, ...) and, when why_r is not NULL, reset
 * *why_r and put a readable reason in it: our words, then OpenSSL's error
 * queue and the verification result.  Give it TLS_WHY_MAX as maximum
 * (queued errors that do not fit are left out).  Nothing is printed.  After a failed read or
 * write through b, tls_conn_error(c) gives the reason (or "").
 */
#ifndef TERN_TLS_H
#define TERN_TLS_H

#include <stdint.h>

struct bio;
struct sbuf;
struct tls_ctx;
struct tls_conn;

#define TLS_WHY_MAX		1024	/* room for a reason and OpenSSL's queue */
#define TLS_PEM_MAX		(1024 * 1024)	/* a certificate chain or key file */
#define TLS_PEER_LOG_MAX	256	/* STYLE 8: untrusted strings in logs */
/* TLS 1.2 suites: forward secrecy and AEAD only (RFC 7525 4.2). */
#define TLS_CIPHERS_12	"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"

struct tls_ctx	*tls_server_ctx_new(const char *cert_path, const char *key_path,
		    struct sbuf *why_r);
struct tls_ctx	*tls_server_ctx_lazy(const char *cert_path, const char *key_path,
		    struct sbuf *why_r);
int		 tls_ctx_ready(struct tls_ctx *, struct sbuf *why_r);
int		 tls_ctx_warm(struct tls_ctx *, struct sbuf *why_r);
struct tls_ctx	*tls_client_ctx_new(const char *ca_file, struct sbuf *why_r);
void		 tls_ctx_free(struct tls_ctx **);

struct tls_conn	*tls_server_start(struct tls_ctx *, struct bio *,
		    int64_t timeout_ms, struct sbuf *why_r);
struct tls_conn	*tls_client_start(struct tls_ctx *, struct bio *,
		    const char *servername, int verify_required,
		    int64_t timeout_ms, struct sbuf *why_r);
int		 tls_conn_info(struct tls_conn *, struct sbuf *out);
int		 tls_conn_verified(struct tls_conn *);
const char	*tls_conn_error(struct tls_conn *);
int		 tls_shutdown(struct tls_conn *, int64_t timeout_ms);
void		 tls_conn_free(struct tls_conn **);

#endif
