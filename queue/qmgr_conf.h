/*
 * qmgr_conf.h - fill struct qmgr from tern.conf (dies with 100 on a bad
 * setting, as programs do at start-up).
 */
#ifndef TERN_QMGR_CONF_H
#define TERN_QMGR_CONF_H

#include "lib/conf.h"

#include "queue/qmgr.h"

#define QMGR_CONCURRENCY_MAX	1000	/* worker processes at once */

void	qmgr_conf(struct qmgr *, const struct conf *);

#endif
