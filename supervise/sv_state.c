/*
 * sv_state.c - one state x event table for every service, and the reload
 * that turns a new configuration into events.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"

#include "supervise/supervise.h"

enum sv_action {
	A_NONE,		/* nothing to do */
	A_START,	/* bind the listeners, or spawn the daemon */
	A_EXITED,	/* the daemon died: log it, schedule a restart */
	A_STOP,		/* close listeners, or SIGTERM the daemon */
	A_KILL,		/* the daemon outlived its stop grace: SIGKILL */
	A_GONE,		/* nothing left to stop */
	A_HUP,		/* pass SIGHUP to the daemon */
	A_CHANGE,	/* apply a new spec while running */
	A_RESPAWN,	/* killed for a new spec, now gone: start again */
	A_HALT,		/* killed for a new spec, now removed: stop for good */
};

/*
 * Rows: states; columns: EV_START EV_EXIT EV_TIMER EV_STOP EV_HUP EV_CHANGE.
 * EXIT only reaches daemons (connection exits are counted, not events).
 */
static const enum sv_action table[ST_NSTATES][EV_NEVENTS] = {
	[ST_DOWN] =	{ A_START, A_NONE, A_NONE, A_GONE, A_START, A_START },
	[ST_RUN] =	{ A_NONE, A_EXITED, A_NONE, A_STOP, A_HUP, A_CHANGE },
	[ST_BACKOFF] =	{ A_NONE, A_NONE, A_START, A_GONE, A_NONE, A_START },
	[ST_RESTART] =	{ A_NONE, A_RESPAWN, A_KILL, A_HALT, A_NONE, A_NONE },
	[ST_STOPPING] =	{ A_NONE, A_GONE, A_KILL, A_NONE, A_NONE, A_NONE },
	[ST_GONE] =	{ A_NONE, A_NONE, A_NONE, A_NONE, A_NONE, A_NONE },
};

int64_t
sv_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		panic("clock_gettime(CLOCK_MONOTONIC) failed");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
sv_state_name(enum sv_state s)
{
	switch (s) {
	case ST_DOWN:
		return "down";
	case ST_RUN:
		return "run";
	case ST_BACKOFF:
		return "backoff";
	case ST_RESTART:
		return "restart";
	case ST_STOPPING:
		return "stopping";
	case ST_GONE:
		return "gone";
	case ST_NSTATES:
		break;
	}
	return "?";
}

static const char *
type_name(const struct service *s)
{
	return s->spec.type == SV_TCP ? "tcp" : "daemon";
}

static enum sv_state
backoff(struct service *s, const char *why)
{
	uint64_t d = s->cur_delay_ms;

	s->timer_ms = sv_now_ms() + (int64_t)d;
	log_info("restart service=%s delay=%llus reason=%s", s->spec.name,
	    (unsigned long long)(d / 1000), why);
	s->cur_delay_ms = d * 2 > SV_DELAY_MAX_MS ? SV_DELAY_MAX_MS : d * 2;
	return ST_BACKOFF;
}

static enum sv_state
do_start(struct sv *sv, struct service *s)
{
	pid_t pid;

	s->timer_ms = 0;
	if (sv_check_user(sv, s) < 0)
		return ST_DOWN;		/* logged; a reload may fix it */
	if (s->spec.type == SV_TCP) {
		if (sv_tcp_bind(sv, s) < 0)
			return backoff(s, "bind");
		log_info("start service=%s type=tcp listeners=%zu "
		    "max_connections=%llu max_per_ip=%llu", s->spec.name,
		    s->nls, (unsigned long long)s->spec.max_conn,
		    (unsigned long long)s->spec.max_per_ip);
		return ST_RUN;
	}
	pid = sv_spawn(sv, s, -1, NULL);
	if (pid < 0)
		return backoff(s, "spawn");
	s->pid = pid;
	s->started_ms = sv_now_ms();
	log_info("start service=%s type=daemon pid=%ld", s->spec.name,
	    (long)pid);
	return ST_RUN;
}

static enum sv_state
do_exited(struct service *s)
{
	int64_t up = sv_now_ms() - s->started_ms;

	s->pid = 0;
	if (up >= SV_STABLE_MS)
		s->cur_delay_ms = s->spec.delay_ms;
	return backoff(s, "exit");
}

static enum sv_state
do_stop(struct service *s)
{
	log_info("stop service=%s type=%s", s->spec.name, type_name(s));
	if (s->spec.type == SV_TCP) {
		sv_tcp_close(s);
		return ST_GONE;
	}
	sv_killpg(s->pid, SIGTERM);
	s->timer_ms = sv_now_ms() + SV_STOP_WAIT_MS;
	return ST_STOPPING;
}

static enum sv_state
do_change(struct sv *sv, struct service *s)
{
	log_info("change service=%s type=%s", s->spec.name, type_name(s));
	if (s->spec.type == SV_TCP) {
		if (sv_check_user(sv, s) < 0) {
			sv_tcp_close(s);
			return ST_DOWN;
		}
		if (sv_tcp_bind(sv, s) < 0)
			return backoff(s, "bind");
		return ST_RUN;
	}
	sv_killpg(s->pid, SIGTERM);
	s->timer_ms = sv_now_ms() + SV_STOP_WAIT_MS;
	return ST_RESTART;
}

void
sv_dispatch(struct sv *sv, struct service *s, enum sv_event ev)
{
	enum sv_action a = table[s->state][ev];
	enum sv_state old = s->state, next = old;

	switch (a) {
	case A_NONE:
		break;
	case A_START:
		if (ev != EV_TIMER)
			s->cur_delay_ms = s->spec.delay_ms;
		next = do_start(sv, s);
		break;
	case A_EXITED:
		next = do_exited(s);
		break;
	case A_STOP:
		next = do_stop(s);
		break;
	case A_KILL:
		log_warn("kill service=%s pid=%ld reason=stop-timeout",
		    s->spec.name, (long)s->pid);
		sv_killpg(s->pid, SIGKILL);
		s->timer_ms = 0;
		break;
	case A_GONE:
		s->pid = 0;
		s->timer_ms = 0;
		next = ST_GONE;
		break;
	case A_HUP:
		if (s->spec.type == SV_DAEMON)
			sv_killpg(s->pid, SIGHUP);
		break;
	case A_CHANGE:
		next = do_change(sv, s);
		break;
	case A_RESPAWN:
		s->pid = 0;
		s->cur_delay_ms = s->spec.delay_ms;
		next = do_start(sv, s);
		break;
	case A_HALT:
		next = ST_STOPPING;
		break;
	}
	s->state = next;
	if (next != old)
		log_debug("state service=%s %s -> %s", s->spec.name,
		    sv_state_name(old), sv_state_name(next));
}

static struct service *
find(struct sv *sv, const char *name)
{
	struct service *s;

	for (s = sv->svcs; s != NULL; s = s->next)
		if (!s->removed && strcmp(s->spec.name, name) == 0)
			return s;
	return NULL;
}

/*
 * Take a freshly loaded configuration: services no longer listed stop,
 * changed ones get their new spec, new ones start, unchanged ones get
 * SIGHUP.  The old configuration is freed; *c is emptied.
 */
void
sv_apply_config(struct sv *sv, struct sv_config *c)
{
	struct service *s, **tail;
	size_t i, j;

	for (s = sv->svcs; s != NULL; s = s->next) {
		if (s->removed)
			continue;
		for (j = 0; j < c->nspecs; j++)
			if (c->specs[j].name != NULL &&
			    strcmp(c->specs[j].name, s->spec.name) == 0)
				break;
		if (j == c->nspecs) {
			s->removed = 1;
			sv_dispatch(sv, s, EV_STOP);
		} else if (svspec_equal(&s->spec, &c->specs[j])) {
			svspec_free(&c->specs[j]);
			sv_dispatch(sv, s, EV_HUP);
		} else {
			svspec_move(&s->spec, &c->specs[j]);
			s->have_ids = 0;
			sv_dispatch(sv, s, EV_CHANGE);
		}
	}
	for (tail = &sv->svcs; *tail != NULL; tail = &(*tail)->next)
		continue;
	for (i = 0; i < c->nspecs; i++) {
		if (c->specs[i].name == NULL)
			continue;
		if (find(sv, c->specs[i].name) != NULL)
			continue;	/* cannot happen: names are unique */
		if ((s = mem_alloc(1, sizeof *s)) == NULL) {
			log_err_sys("service=%s not started",
			    c->specs[i].name);
			continue;
		}
		svspec_move(&s->spec, &c->specs[i]);
		s->fs_fd = -1;
		s->state = ST_DOWN;
		*tail = s;
		tail = &s->next;
		sv_dispatch(sv, s, EV_START);
	}
	/* Keep the global settings; the specs now live in the services. */
	for (i = 0; i < c->nspecs; i++)
		svspec_free(&c->specs[i]);
	c->nspecs = 0;
	svconf_free(&sv->cfg);
	sv->cfg = *c;
	memset(c, 0, sizeof *c);
}

/* Free services that are GONE and referred to by no child. */
void
sv_reap_gone(struct sv *sv)
{
	struct service **pp = &sv->svcs, *s;

	while ((s = *pp) != NULL) {
		if (s->state == ST_GONE && s->nconn == 0 && s->pid == 0 &&
		    s->fs_pid == 0) {
			*pp = s->next;
			sv_tcp_close(s);
			svspec_free(&s->spec);
			mem_free(&s);
			continue;
		}
		pp = &s->next;
	}
}

void
sv_timers(struct sv *sv, int64_t now)
{
	struct service *s;

	for (s = sv->svcs; s != NULL; s = s->next)
		if (s->timer_ms != 0 && s->timer_ms <= now) {
			s->timer_ms = 0;
			sv_dispatch(sv, s, EV_TIMER);
		}
}

/* Milliseconds until the next timer, or -1 for none. */
int
sv_next_timeout(const struct sv *sv, int64_t now)
{
	const struct service *s;
	int64_t best = -1, d;

	for (s = sv->svcs; s != NULL; s = s->next) {
		if (s->timer_ms == 0)
			continue;
		d = s->timer_ms > now ? s->timer_ms - now : 0;
		if (best < 0 || d < best)
			best = d;
	}
	for (s = sv->svcs; s != NULL; s = s->next) {
		if (!s->spec.forkserver || s->fs_pid != 0 ||
		    s->fs_retry_ms == 0)
			continue;
		d = s->fs_retry_ms > now ? s->fs_retry_ms - now : 0;
		if (best < 0 || d < best)
			best = d;
	}
	if (sv->accept_pause_ms != 0) {
		d = sv->accept_pause_ms > now ? sv->accept_pause_ms - now : 0;
		if (best < 0 || d < best)
			best = d;
	}
	if (sv->stopping) {
		d = sv->stop_deadline_ms > now ? sv->stop_deadline_ms - now : 0;
		if (d > 100)
			d = 100;	/* notice reparented orphans going */
		if (best < 0 || d < best)
			best = d;
	}
	if (best > 60000)
		best = 60000;
	return (int)best;
}
