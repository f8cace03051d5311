/*
 * imapsort.c - SORT (RFC 5256, RFC 5957): a merge sort of message
 * pointers by the criteria (see imapsort.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapsort.h"
#include "lib/mem.h"

static int
str_cmp(const struct imapsort_str *a, const struct imapsort_str *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int r = n > 0 ? memcmp(a->p, b->p, n) : 0;

	if (r != 0)
		return r;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int
num_cmp(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
key_cmp(const struct imapsort_msg *a, const struct imapsort_msg *b,
    enum imapp_sort_key k)
{
	switch (k) {
	case IMAPP_SORT_ARRIVAL:
		return num_cmp(a->arrival, b->arrival);
	case IMAPP_SORT_DATE:
		return num_cmp(a->sent, b->sent);
	case IMAPP_SORT_SIZE:
		return a->size < b->size ? -1 : a->size > b->size;
	case IMAPP_SORT_SUBJECT:
		return str_cmp(&a->f[IMAPSORT_SUBJECT], &b->f[IMAPSORT_SUBJECT]);
	case IMAPP_SORT_FROM:
		return str_cmp(&a->f[IMAPSORT_FROM], &b->f[IMAPSORT_FROM]);
	case IMAPP_SORT_TO:
		return str_cmp(&a->f[IMAPSORT_TO], &b->f[IMAPSORT_TO]);
	case IMAPP_SORT_CC:
		return str_cmp(&a->f[IMAPSORT_CC], &b->f[IMAPSORT_CC]);
	case IMAPP_SORT_DISPLAYFROM:
		return str_cmp(&a->f[IMAPSORT_DFROM], &b->f[IMAPSORT_DFROM]);
	case IMAPP_SORT_DISPLAYTO:
		return str_cmp(&a->f[IMAPSORT_DTO], &b->f[IMAPSORT_DTO]);
	}
	return 0;
}

static int
msg_cmp(const struct imapsort_msg *a, const struct imapsort_msg *b,
    const struct imapp_sort *c)
{
	size_t i;
	int r;

	for (i = 0; i < c->n; i++)
		if ((r = key_cmp(a, b, c->key[i])) != 0)
			return c->reverse[i] ? -r : r;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Bottom-up merge sort (no recursion, n log n worst case). */
int
imapsort_sort(struct imapsort_msg **v, size_t n, const struct imapp_sort *c)
{
	struct imapsort_msg **tmp, **src = v, **dst, **sw;
	size_t w, lo, mid, hi, i, j, k;

	if (n < 2)
		return 0;
	if ((tmp = mem_alloc(n, sizeof *tmp)) == NULL)
		return -1;
	dst = tmp;
	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			i = lo;
			j = mid;
			k = lo;
			while (i < mid && j < hi)
				dst[k++] = msg_cmp(src[j], src[i], c) < 0 ?
				    src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		sw = src;
		src = dst;
		dst = sw;
		if (w > SIZE_MAX / 4)
			break;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	free(tmp);
	return 0;
}

int
imapsort_needs_keys(const struct imapp_sort *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->key[i] != IMAPP_SORT_ARRIVAL &&
		    c->key[i] != IMAPP_SORT_SIZE)
			return 1;
	return 0;
}
