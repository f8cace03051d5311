/* sv_tcp.c - listening sockets, accept, connection limits. */
#include <sys/socket.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/ipnet.h"
#include "lib/log.h"
#include "lib/sock.h"

#include "supervise/supervise.h"

static void
close_fd(int fd)
{
	if (close(fd) < 0 && errno != EINTR)
		log_warn_sys("close fd=%d", fd);
}

/*
 * Make the listeners match spec.listen: keep the sockets whose address is
 * unchanged, bind the new ones, close the ones no longer wanted.  All or
 * nothing: if one bind fails, the new sockets are closed and the old set
 * stays as it was (then closed by the caller's back-off path).
 */
int
sv_tcp_bind(struct sv *sv, struct service *s)
{
	struct sv_listener next[SV_LISTEN_MAX];
	char a[SOCK_ADDR_MAX];
	size_t i, j;
	int fresh[SV_LISTEN_MAX];

	(void)sv;
	for (i = 0; i < s->spec.nlisten; i++) {
		next[i].addr = s->spec.listen[i];
		next[i].fd = -1;
		fresh[i] = 0;
		for (j = 0; j < s->nls; j++)
			if (s->ls[j].fd >= 0 &&
			    sock_equal(&s->ls[j].addr, &next[i].addr)) {
				next[i].fd = s->ls[j].fd;
				s->ls[j].fd = -1;
				break;
			}
		if (next[i].fd >= 0)
			continue;
		if (sock_fmt(&next[i].addr, a, sizeof a) < 0)
			a[0] = '\0';
		next[i].fd = sock_listen(&next[i].addr, SV_BACKLOG);
		if (next[i].fd < 0) {
			log_err_sys("listen service=%s addr=%s", s->spec.name, a);
			goto fail;
		}
		fresh[i] = 1;
		log_info("listen service=%s addr=%s", s->spec.name, a);
	}
	sv_tcp_close(s);
	memcpy(s->ls, next, sizeof next[0] * s->spec.nlisten);
	s->nls = s->spec.nlisten;
	return 0;
fail:
	/* Put the kept sockets back, close the fresh ones. */
	for (j = 0; j < i; j++) {
		size_t k;

		if (fresh[j]) {
			close_fd(next[j].fd);
			continue;
		}
		for (k = 0; k < s->nls; k++)
			if (s->ls[k].fd < 0 &&
			    sock_equal(&s->ls[k].addr, &next[j].addr)) {
				s->ls[k].fd = next[j].fd;
				break;
			}
	}
	sv_tcp_close(s);
	return -1;
}

void
sv_tcp_close(struct service *s)
{
	size_t i;

	for (i = 0; i < s->nls; i++)
		if (s->ls[i].fd >= 0) {
			close_fd(s->ls[i].fd);
			s->ls[i].fd = -1;
		}
	s->nls = 0;
}

static unsigned
count_ip(const struct sv *sv, const struct service *s,
    const struct sock_addr *peer)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < sv->nkids; i++)
		if (sv->kids[i].svc == s && sv->kids[i].is_conn &&
		    sock_same_ip(&sv->kids[i].peer, peer))
			n++;
	return n;
}

/* Is ip in NAME.max_per_ip_exempt (checked when the file was read)? */
static int
exempt(const struct service *s, const char *ip)
{
	const char *why;

	return s->spec.nexempt > 0 &&
	    ipnet_in(ip, s->spec.exempt, s->spec.nexempt, &why) == 1;
}

static void
refuse(const struct service *s, int fd, const char *ip, const char *reason)
{
	char line[SV_REFUSE_MAX + 3];
	size_t n;

	if (s->spec.refuse != NULL) {
		n = strlen(s->spec.refuse);
		memcpy(line, s->spec.refuse, n);
		memcpy(line + n, "\r\n", 2);
		/* Best effort: a peer that does not read loses the line. */
		if (send(fd, line, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("refuse service=%s send failed",
			    s->spec.name);
	}
	close_fd(fd);
	log_info("refuse service=%s ip=%s reason=%s", s->spec.name, ip,
	    reason);
}

/* The limit this connection would go over, or NULL. */
static const char *
over_limit(const struct sv *sv, const struct service *s,
    const struct sock_addr *peer, const char *ip)
{
	if (s->spec.max_conn > 0 && s->nconn >= s->spec.max_conn)
		return "max-connections";
	if (s->spec.max_per_ip > 0 && !exempt(s, ip) &&
	    count_ip(sv, s, peer) >= s->spec.max_per_ip)
		return "per-ip-limit";
	return NULL;
}

static void
one(struct sv *sv, struct service *s, int fd, const struct sock_addr *peer)
{
	char ip[SOCK_IP_MAX];
	unsigned port = 0;
	const char *why;
	uint64_t id;
	pid_t pid;

	if (sock_ip(peer, ip, sizeof ip, &port) < 0)
		(void)strlcpy(ip, "?", sizeof ip);	/* cannot truncate */
	/*
	 * Over a limit: first take in the ends that are already known
	 * (the fork server's reports waiting on its socket, children
	 * waiting to be reaped), then count again.  Counted before them,
	 * sessions that had ended still filled the limit: on a busy host
	 * (bench/smtp, 20 clients against max_per_ip 50) tern-smtpd's
	 * fork server reported 30 ends in one burst after 17 refusals.
	 */
	if (over_limit(sv, s, peer, ip) != NULL) {
		if (s->fs_fd >= 0)
			sv_fs_read(sv, s);
		sv_reap(sv);
	}
	if ((why = over_limit(sv, s, peer, ip)) != NULL) {
		refuse(s, fd, ip, why);
		return;
	}
	if (s->spec.forkserver && sv_fs_hand(sv, s, fd, peer, &id) == 0) {
		close_fd(fd);
		log_info("connect service=%s ip=%s port=%u fs=%llu",
		    s->spec.name, ip, port, (unsigned long long)id);
		return;
	}
	pid = sv_spawn(sv, s, fd, peer);
	close_fd(fd);
	if (pid < 0) {
		log_err("connect service=%s ip=%s port=%u not served",
		    s->spec.name, ip, port);
		return;
	}
	log_info("connect service=%s ip=%s port=%u pid=%ld", s->spec.name,
	    ip, port, (long)pid);
}

void
sv_tcp_accept(struct sv *sv, struct service *s, struct sv_listener *l)
{
	struct sock_addr peer;
	int i, fd;

	for (i = 0; i < SV_ACCEPT_BURST && l->fd >= 0; i++) {
		fd = sock_accept(l->fd, &peer);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: stop accepting for a
				 * moment instead of spinning on poll. */
				log_warn_sys("accept service=%s paused",
				    s->spec.name);
				sv->accept_pause_ms = sv_now_ms() +
				    SV_ACCEPT_PAUSE_MS;
			} else if (errno != EAGAIN && errno != ECONNABORTED)
				log_warn_sys("accept service=%s",
				    s->spec.name);
			return;
		}
		one(sv, s, fd, &peer);
	}
}
