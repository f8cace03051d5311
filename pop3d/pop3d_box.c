/*
 * pop3d_box.c - a Maildir as a POP3 maildrop, for the post-auth worker
 * (already the account's uid, its cwd the Maildir).
 *
 * Messages are the files of new/ and cur/ (names starting with '.' are
 * skipped), sorted by their base name (delivery time first).  The UIDL is
 * the Maildir unique name: the file name up to its first ',' or ':', so it
 * stays the same when the file moves from new/ to cur/ or gains flags or
 * ",S=" / ",W=" fields; a name whose unique part is no valid UIDL (more than
 * 70 characters, bytes outside 0x21..0x7e) gets "x" and 32 hex digits of a
 * hash of that part, equally stable.  Sizes are the CRLF sizes RETR sends:
 * ",W=" when the name has it, else counted from the file once.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "pop3d/pop3d.h"

#define BOX_MSGS_MAX	1000000		/* messages in one maildrop */
#define XFER_BUF	16384

int
box_uidl(const char *name, size_t n, size_t *len_r)
{
	size_t i;

	for (i = 0; i < n && name[i] != ',' && name[i] != ':'; i++)
		if ((unsigned char)name[i] < 0x21 ||
		    (unsigned char)name[i] > 0x7e)
			return -1;
	if (i == 0 || i > POP3_UIDL_MAX)
		return -1;
	*len_r = i;
	return 0;
}

/* FNV-1a, 64 bits, with a seed: two of them make the fallback UIDL. */
static uint64_t
fnv(const char *p, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
msg_init(struct pop3_msg *m, const char *name, int in_new)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(name), u, i;
	uint64_t h[2];

	memset(m, 0, sizeof *m);
	m->size = UINT64_MAX;
	m->in_new = in_new;
	if ((m->name = mem_strdup(name)) == NULL)
		return -1;
	if (box_uidl(name, n, &u) == 0) {
		m->uid = m->name;
		m->uid_len = u;
		return 0;
	}
	for (u = 0; u < n && name[u] != ',' && name[u] != ':'; u++)
		;
	h[0] = fnv(name, u, 0xcbf29ce484222325ULL);
	h[1] = fnv(name, u, 0x84222325cbf29ce4ULL);
	if ((m->uid = mem_alloc(34, 1)) == NULL)
		return -1;
	m->uid[0] = 'x';
	for (i = 0; i < 32; i++)
		m->uid[1 + i] = hex[(h[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
	m->uid_len = 33;
	return 0;
}

static int
scan_dir(struct pop3_box *b, int fd, int in_new, size_t *cap)
{
	struct pop3_msg *nm;
	struct dirent *de;
	DIR *d;
	int dfd;

	if ((dfd = dup(fd)) < 0)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		(void)close(dfd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (b->n == BOX_MSGS_MAX)
			break;
		if (b->n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			nm = mem_realloc(b->m, *cap, sizeof *b->m);
			if (nm == NULL) {
				(void)closedir(d);
				return -1;
			}
			b->m = nm;
		}
		if (msg_init(&b->m[b->n], de->d_name, in_new) < 0) {
			(void)closedir(d);
			return -1;
		}
		b->n++;
	}
	(void)closedir(d);
	return 0;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct pop3_msg *x = a, *y = b;
	size_t xl = maildir_base_len(x->name, strlen(x->name));
	size_t yl = maildir_base_len(y->name, strlen(y->name));
	int r = memcmp(x->name, y->name, xl < yl ? xl : yl);

	if (r != 0)
		return r;
	return xl < yl ? -1 : xl > yl;
}

int
box_open(struct pop3_box *b, const char **why_r)
{
	size_t cap = 0;

	memset(b, 0, sizeof *b);
	b->newfd = b->curfd = b->lockfd = -1;
	if ((b->dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		*why_r = "cannot open the Maildir";
		return -1;
	}
	b->lockfd = openat(b->dirfd, POP3_LOCK_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (b->lockfd < 0) {
		*why_r = "cannot open the lock file";
		return -1;
	}
	if (flock(b->lockfd, LOCK_EX | LOCK_NB) < 0) {
		*why_r = "mailbox in use";
		return -1;
	}
	if ((b->newfd = maildir_open_sub(b->dirfd, "new")) < 0 ||
	    (b->curfd = maildir_open_sub(b->dirfd, "cur")) < 0) {
		*why_r = "cannot open new/ or cur/";
		return -1;
	}
	if (scan_dir(b, b->newfd, 1, &cap) < 0 ||
	    scan_dir(b, b->curfd, 0, &cap) < 0) {
		*why_r = "cannot read the Maildir";
		return -1;
	}
	if (b->n > 1)
		qsort(b->m, b->n, sizeof *b->m, msg_cmp);
	return 0;
}

/* Release the maildrop lock (UPDATE done); the box stays readable. */
void
box_unlock(struct pop3_box *b)
{
	(void)io_close(&b->lockfd);	/* releases the flock */
}

void
box_close(struct pop3_box *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->m[i].uid != b->m[i].name)
			mem_free(&b->m[i].uid);
		mem_free(&b->m[i].name);
	}
	mem_free(&b->m);
	b->n = 0;
	(void)io_close(&b->newfd);
	(void)io_close(&b->curfd);
	(void)io_close(&b->lockfd);	/* releases the flock */
	(void)io_close(&b->dirfd);
}

static int
msg_dirfd(const struct pop3_box *b, const struct pop3_msg *m)
{
	return m->in_new ? b->newfd : b->curfd;
}

/* The file was renamed by someone else (IMAP set a flag): find it again
 * by its base name in cur/, then new/. */
static int
refind(struct pop3_box *b, struct pop3_msg *m)
{
	size_t bl = maildir_base_len(m->name, strlen(m->name)), k;
	int fds[2] = { b->curfd, b->newfd }, dfd;
	struct dirent *de;
	char *nn;
	DIR *d;

	for (k = 0; k < 2; k++) {
		if ((dfd = dup(fds[k])) < 0)
			return -1;
		if ((d = fdopendir(dfd)) == NULL) {
			(void)close(dfd);
			return -1;
		}
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (maildir_base_len(de->d_name, strlen(de->d_name))
			    != bl || memcmp(de->d_name, m->name, bl) != 0)
				continue;
			if ((nn = mem_strdup(de->d_name)) == NULL)
				break;
			if (m->uid == m->name) {
				m->uid = nn;	/* same prefix */
			}
			mem_free(&m->name);
			m->name = nn;
			m->in_new = k == 1;
			(void)closedir(d);
			return 0;
		}
		(void)closedir(d);
	}
	errno = ENOENT;
	return -1;
}

static int
msg_open(struct pop3_box *b, struct pop3_msg *m)
{
	int fd = openat(msg_dirfd(b, m), m->name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && refind(b, m) == 0)
		fd = openat(msg_dirfd(b, m), m->name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	return fd;
}

/* ",W=<digits>" in the name: the CRLF size Dovecot records. */
static int
name_vsize(const char *name, uint64_t *r)
{
	size_t n = maildir_base_len(name, strlen(name)), i, j;

	for (i = 0; i + 3 <= n; i++) {
		if (name[i] != ',' || name[i + 1] != 'W' || name[i + 2] != '=')
			continue;
		for (j = i + 3; j < n && name[j] >= '0' && name[j] <= '9'; j++)
			;
		return scan_u64_n(name + i + 3, j - i - 3, r);
	}
	return -1;
}

int
box_size(struct pop3_box *b, size_t i, uint64_t *size_r)
{
	struct pop3_msg *m = &b->m[i];
	char buf[XFER_BUF];
	uint64_t size = 0;
	int fd, prev_cr = 0, at_start = 1;
	ssize_t n, k;

	if (m->size != UINT64_MAX || name_vsize(m->name, &m->size) == 0) {
		*size_r = m->size;
		return 0;
	}
	if ((fd = msg_open(b, m)) < 0)
		return -1;
	while ((n = io_read(fd, buf, sizeof buf)) > 0) {
		for (k = 0; k < n; k++) {
			if (buf[k] == '\n' && !prev_cr)
				size++;
			prev_cr = buf[k] == '\r';
			at_start = buf[k] == '\n';
		}
		size += (uint64_t)n;
	}
	(void)close(fd);
	if (n < 0)
		return -1;
	if (!at_start)
		size += 2;
	m->size = size;
	*size_r = size;
	return 0;
}

/*
 * Output in CRLF lines with dot-stuffing; TOP stops after 'lines' body
 * lines (UINT64_MAX: the whole message).  A line is found with memchr and
 * copied whole, and the answer leaves in XFER_OUT blocks (one send each),
 * so a RETR costs a few system calls per 64 KiB, not a loop per byte.
 */
#define XFER_OUT	65536

struct xfer {
	char		 out[XFER_OUT];
	size_t		 olen;
	struct bio	*b;
	int		 at_start, prev_cr, in_body, done;
	size_t		 linelen;
	uint64_t	 body, lines;
};

static int
put(struct xfer *x, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (x->olen == sizeof x->out) {
			if (bio_write(x->b, x->out, x->olen) < 0)
				return -1;
			x->olen = 0;
		}
		k = sizeof x->out - x->olen;
		if (k > n)
			k = n;
		memcpy(x->out + x->olen, p, k);
		x->olen += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int
end_line(struct xfer *x)
{
	if (put(x, x->prev_cr ? "\n" : "\r\n", x->prev_cr ? 1 : 2) < 0)
		return -1;
	if (!x->in_body) {
		if (x->linelen == 0 || (x->linelen == 1 && x->prev_cr)) {
			x->in_body = 1;
			if (x->lines == 0)
				x->done = 1;
		}
	} else if (++x->body >= x->lines) {
		x->done = 1;
	}
	x->at_start = 1;
	x->prev_cr = 0;
	x->linelen = 0;
	return 0;
}

/* A line may span calls: at_start, prev_cr and linelen carry over. */
static int
feed(struct xfer *x, const char *p, size_t n)
{
	const char *nl;
	size_t k = 0, len;

	while (k < n && !x->done) {
		if (x->at_start) {
			x->at_start = 0;
			if (p[k] == '.' && put(x, ".", 1) < 0)
				return -1;
		}
		nl = memchr(p + k, '\n', n - k);
		len = (nl != NULL ? (size_t)(nl - p) : n) - k;
		if (len > 0) {
			if (put(x, p + k, len) < 0)
				return -1;
			x->prev_cr = p[k + len - 1] == '\r';
			x->linelen += len;
			k += len;
		}
		if (nl == NULL)
			break;
		if (end_line(x) < 0)
			return -1;
		k++;
	}
	return 0;
}

int
box_send(struct pop3_box *b, size_t i, struct bio *out, uint64_t lines,
    const char **why_r)
{
	static struct xfer x;
	static char buf[XFER_OUT];
	uint64_t size;
	ssize_t n;
	int fd, k;

	if (box_size(b, i, &size) < 0 || (fd = msg_open(b, &b->m[i])) < 0) {
		*why_r = "-ERR [SYS/TEMP] Cannot read the message";
		return 1;
	}
	x.b = out;
	x.at_start = 1;
	x.prev_cr = x.in_body = x.done = 0;
	x.linelen = 0;
	x.body = 0;
	x.lines = lines;
	/* The status line goes out with the first block of the message. */
	k = lines == UINT64_MAX ?
	    snprintf(x.out, sizeof x.out, "+OK %llu octets\r\n",
	    (unsigned long long)size) :
	    snprintf(x.out, sizeof x.out, "+OK\r\n");
	if (k < 0 || (size_t)k >= sizeof x.out)
		goto fail;
	x.olen = (size_t)k;
	while (!x.done && (n = io_read(fd, buf, sizeof buf)) > 0)
		if (feed(&x, buf, (size_t)n) < 0)
			goto fail;
	if (!x.at_start && !x.done && put(&x, "\r\n", 2) < 0)
		goto fail;
	if (put(&x, ".\r\n", 3) < 0 || bio_write(out, x.out, x.olen) < 0 ||
	    bio_flush(out) < 0)
		goto fail;
	(void)close(fd);
	return 0;
fail:
	(void)close(fd);
	*why_r = NULL;
	return -1;
}

int
box_seen(struct pop3_box *b, size_t i)
{
	struct pop3_msg *m = &b->m[i];
	struct sbuf nn;
	uint64_t flags = 0;
	size_t len = strlen(m->name);
	char *s;

	if (!m->in_new && maildir_flags_parse(m->name, len, &flags) == 0 &&
	    (flags & MAILDIR_FLAG('S')) != 0)
		return 0;
	if (!m->in_new && maildir_flags_parse(m->name, len, &flags) < 0)
		return 0;	/* a name we do not understand: leave it */
	sbuf_init(&nn, MAILDIR_NAME_MAX);
	if (maildir_name_set_flags(&nn, m->name, len,
	    flags | MAILDIR_FLAG('S')) < 0 || sbuf_nul(&nn) < 0) {
		sbuf_fini(&nn);
		return -1;
	}
	if (renameat(msg_dirfd(b, m), m->name, b->curfd, nn.s) < 0) {
		sbuf_fini(&nn);
		return -1;
	}
	if ((s = mem_strdup(nn.s)) == NULL) {
		sbuf_fini(&nn);
		return -1;
	}
	sbuf_fini(&nn);
	if (m->uid == m->name)
		m->uid = s;	/* the unique part is unchanged */
	mem_free(&m->name);
	m->name = s;
	m->in_new = 0;
	return 0;
}

/*
 * The bytes a message counts for in maildirsize: ",S=" in its name, as
 * tern-local wrote it and maildir_quota_recalc() reads it, else the
 * file's size.  0 when neither is known (the next recalculation fixes it).
 */
static uint64_t
quota_bytes(const struct pop3_box *b, const struct pop3_msg *m)
{
	struct stat st;
	uint64_t size;

	if (maildir_name_size(m->name, strlen(m->name), &size) == 0)
		return size;
	if (fstatat(msg_dirfd(b, m), m->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return (uint64_t)st.st_size;
	return 0;
}

/* Unlink one message: 1 removed (its bytes added to *bytes), 0 already
 * gone (whoever removed it accounted for it), -1 error. */
static int
msg_unlink(struct pop3_box *b, struct pop3_msg *m, uint64_t *bytes)
{
	uint64_t size = quota_bytes(b, m);

	if (unlinkat(msg_dirfd(b, m), m->name, 0) < 0) {
		if (errno != ENOENT || refind(b, m) < 0)
			return errno == ENOENT ? 0 : -1;
		size = quota_bytes(b, m);
		if (unlinkat(msg_dirfd(b, m), m->name, 0) < 0)
			return errno == ENOENT ? 0 : -1;
	}
	if (size > INT64_MAX - *bytes)
		size = 0;
	*bytes += size;
	return 1;
}

/*
 * UPDATE (RFC 1939 6).  The Maildir++ quota file then loses what was
 * removed, as after an IMAP expunge: a POP3 user who downloads and
 * deletes would otherwise see maildirsize grow with every delivery until
 * mail is refused as over quota (maildir.h: no-op without maildirsize).
 */
size_t
box_expunge(struct pop3_box *b)
{
	uint64_t bytes = 0;
	size_t i, bad = 0, done = 0;
	int r;

	for (i = 0; i < b->n; i++) {
		if (!b->m[i].deleted)
			continue;
		if ((r = msg_unlink(b, &b->m[i], &bytes)) < 0)
			bad++;
		else if (r > 0)
			done++;
	}
	if (done > 0 && (fsync(b->newfd) < 0 || fsync(b->curfd) < 0))
		bad++;
	/* A failure here is no lost delete: maildirsize is recalculated
	 * once it says over quota and is old enough (maildir.h). */
	if (done > 0)
		(void)maildir_quota_add(b->dirfd, -(int64_t)bytes,
		    -(int64_t)done);
	return bad;
}
