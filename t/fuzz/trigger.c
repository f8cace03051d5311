/*
 * Fuzz target: trigger_feed() over arbitrary bytes.  A delete or a new
 * message is only ever reported with a valid queue id, and the parser's id count stays
 * within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/qid.h"
#include "lib/trigger.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trigger_parser tp;
	enum trigger_event ev;
	size_t i;

	trigger_parser_init(&tp);
	for (i = 0; i < size; i++) {
		ev = trigger_feed(&tp, data[i]);
		if ((ev == TRIGGER_DELETE || ev == TRIGGER_NEW) &&
		    !qid_valid(tp.id, strlen(tp.id)))
			abort();
		if (tp.n >= QID_LEN)
			abort();
	}
	return 0;
}
