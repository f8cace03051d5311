/*
 * imapp.h - the IMAP command parser for tern-imapd (RFC 3501, RFC 9051 and
 * the extensions tern speaks: LITERAL+ RFC 7888, BINARY RFC 3516,
 * CONDSTORE/QRESYNC RFC 7162, ESEARCH RFC 4731, SEARCHRES RFC 5182,
 * LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS RFC 5819,
 * SORT/THREAD RFC 5256, DISPLAY sort RFC 5957, WITHIN RFC 5032, ID RFC 2971,
 * ENABLE RFC 5161, MULTIAPPEND RFC 3502).  Pure functions over bytes: no
 * I/O, nothing printed, nothing read past a given length, no NUL needed.
 *
 * Reading a command.  The server reads one line at a time (bio_getline).
 * imapp_line_literal(line, len, limit, &n, &nonsync) says whether the line
 * (with or without its CRLF) ends in a literal announcement "{n}", "{n+}"
 * (LITERAL+, RFC 7888) or "~{n}" / "~{n+}" (literal8, RFC 3516): 1 yes
 * (*n_r the byte count, *nonsync_r 1 for "+", *bin_r 1 for "~"), 0 no,
 * -1 malformed or too large (n > UINT32_MAX or n > limit; limit 0 means
 * UINT32_MAX): the server answers BAD (or NO [TOOBIG]) and does not read
 * the literal.  For a sync literal the server sends "+ go ahead", reads
 * exactly n bytes and then the next line.  The command buffer handed to
 * imapp_parse is everything as received, the lines' CRLF included:
 *	line1 CRLF literal1 line2 CRLF literal2 ... lineN [CRLF]
 * (a bare LF is accepted where CRLF is; a final CRLF is optional; any other
 * CR or LF is BAD).
 *
 * imapp_parse(buf, len, limits, cmd, &why) parses one command:
 *   - tag: 1..IMAPP_TAG_MAX ASTRING-CHARs except "+"; cmd->tag/tag_len
 *     point into buf.  When the tag is invalid tag_len is 0 (send an
 *     untagged "* BAD").
 *   - command name: an atom of letters, digits, "-", "." or "_", matched
 *     case-insensitively and returned uppercased and NUL-terminated in
 *     cmd->name.  "UID FETCH" etc. give cmd->uid = 1 and name "FETCH"
 *     (only COPY MOVE FETCH STORE SEARCH SORT THREAD EXPUNGE may follow UID).
 *   - arguments: a tree of tokens in cmd->tok[]; tok[0] is the root (type
 *     IMAPP_T_LIST) whose children are the command's arguments.  Walk it
 *     with imapp_tok_first() / imapp_tok_next() (no recursion needed).
 *     Token types:
 *	ATOM	any 0x21..0x7e except ( ) { " and SP; it may hold "\", "%",
 *		"*", "[" and "]" (flags, list patterns, sequence sets are
 *		atoms; the typed helpers check them strictly).
 *	NUMBER	an atom of digits that fits in 64 bits: t->num (p/n kept).
 *	NIL	the atom NIL in any case (p/n kept: an astring "nil" is valid).
 *	QUOTED	"..." with the escapes \\ and \" undone (any other escape is
 *		BAD); CR, LF and NUL are BAD; 8-bit bytes pass (UTF-8).
 *	LITERAL	{n}/{n+}: the n bytes, pointing into buf; a NUL is BAD.
 *	LITERAL8  ~{n}: the same, NUL allowed.
 *	LIST	( ... ): t->nkids children; nesting deeper than
 *		limits->max_depth is BAD; parsing uses an explicit stack.
 *	SECTION	BODY[...], BODY.PEEK[...], BINARY[...], BINARY.PEEK[...],
 *		BINARY.SIZE[...], with an optional <offset.count>: one token;
 *		t->p/n is the name before "[" and t->sec the parsed section
 *		(part numbers, spec, partial); the header field names of
 *		HEADER.FIELDS (...) are the token's children (ATOM, NUMBER,
 *		NIL or QUOTED).  BINARY sections take part numbers only.
 *		(So an unquoted mailbox named "BODY[x]" is BAD; quote it.)
 *     Tokens are separated by exactly one SP; no SP after "(" or before
 *     ")"; none at the end of the command.
 *   - limits (NULL: defaults): max_tokens (IMAPP_TOKENS_DEFAULT),
 *     max_depth (IMAPP_DEPTH_DEFAULT, at most IMAPP_DEPTH_MAX), max_literal.
 *
 * Return convention: 0, or a negative IMAPP_E* code with a short static
 * reason in *why_r to send in the BAD (or NO) response.
 *
 * Ownership: struct imapp_cmd is caller-owned: imapp_cmd_init() once,
 * imapp_parse() as often as needed (it reuses the arrays, which grow
 * to at most the limits: no allocation per token), imapp_cmd_fini() at
 * the end.  Token p/n point into buf (atoms, literals, names) or into the
 * cmd's own string arena (unescaped quoted strings); both must outlive
 * any use of the tokens, and a new imapp_parse() invalidates the old ones.
 * The typed helpers below take the cmd and a token, and their results
 * point into the same storage (plus their own arrays, freed by their
 * *_fini).
 */
#ifndef TERN_IMAPP_H
#define TERN_IMAPP_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;

#define IMAPP_TAG_MAX		128	/* RFC 3501 sets none; clients use <20 */
#define IMAPP_NAME_MAX		32	/* longest command name + slack */
#define IMAPP_TOKENS_DEFAULT	10000	/* tokens in one command */
#define IMAPP_DEPTH_DEFAULT	64	/* ( ) nesting */
#define IMAPP_DEPTH_MAX		256	/* the explicit stack's size */
#define IMAPP_SECTION_PARTS	32	/* 1.2.3... part numbers in BODY[] */
#define IMAPP_LITERAL_MAX	UINT32_MAX	/* RFC 9051: number is 32 bits */

/* Results. */
#define IMAPP_OK		0
#define IMAPP_EBAD		(-1)	/* BAD: syntax */
#define IMAPP_ENOMEM		(-2)	/* NO (or BYE): out of memory */
#define IMAPP_ELIMIT		(-3)	/* BAD: too many tokens, too deep, ... */
#define IMAPP_EBADCHARSET	(-4)	/* NO [BADCHARSET (UTF-8 US-ASCII)] */

struct imapp_limits {
	uint32_t	 max_tokens;	/* 0: IMAPP_TOKENS_DEFAULT */
	uint32_t	 max_depth;	/* 0: IMAPP_DEPTH_DEFAULT */
	uint64_t	 max_literal;	/* 0: IMAPP_LITERAL_MAX */
};

enum imapp_tok_type {
	IMAPP_T_ATOM,
	IMAPP_T_NUMBER,
	IMAPP_T_NIL,
	IMAPP_T_QUOTED,
	IMAPP_T_LITERAL,
	IMAPP_T_LITERAL8,
	IMAPP_T_LIST,
	IMAPP_T_SECTION
};

enum imapp_spec {
	IMAPP_SPEC_NONE,		/* BODY[] or BODY[1.2] */
	IMAPP_SPEC_HEADER,
	IMAPP_SPEC_HEADER_FIELDS,
	IMAPP_SPEC_HEADER_FIELDS_NOT,
	IMAPP_SPEC_TEXT,
	IMAPP_SPEC_MIME			/* only after part numbers */
};

struct imapp_tok;

struct imapp_section {
	uint32_t	 part[IMAPP_SECTION_PARTS];	/* each >= 1 */
	uint32_t	 nparts;
	enum imapp_spec	 spec;
	uint32_t	 nfields;	/* HEADER.FIELDS[.NOT] field names: */
	const struct imapp_tok *fields;	/* fields[0..nfields-1], leaves */
	int		 has_partial;	/* <offset.count> given */
	uint64_t	 offset;
	uint64_t	 count;		/* >= 1 */
};

struct imapp_tok {
	enum imapp_tok_type type;
	const char	*p;		/* bytes (see above); LIST: NULL */
	size_t		 n;
	uint64_t	 num;		/* NUMBER */
	uint32_t	 next;		/* index of the next sibling, 0: last */
	uint32_t	 nkids;		/* LIST, SECTION: children follow */
	const struct imapp_section *sec;	/* SECTION only */
};

struct imapp_cmd {
	const char	*tag;		/* into buf; tag_len 0: no valid tag */
	size_t		 tag_len;
	char		 name[IMAPP_NAME_MAX + 1];	/* uppercased */
	int		 uid;		/* "UID <name>" */
	struct imapp_tok *tok;		/* tok[0]: root list of arguments */
	uint32_t	 ntok;
	uint32_t	 nargs;		/* == tok[0].nkids */
	/* Private storage (grown up to the limits, kept across parses). */
	uint32_t	 tokcap;
	struct imapp_section *secs;
	uint32_t	 nsec, seccap;
	char		*str;
	size_t		 strcap;
};

void	imapp_cmd_init(struct imapp_cmd *);
void	imapp_cmd_fini(struct imapp_cmd *);
int	imapp_line_literal(const char *line, size_t len, uint64_t limit,
	    uint64_t *n_r, int *nonsync_r, int *bin_r);
int	imapp_parse(const char *buf, size_t len, const struct imapp_limits *,
	    struct imapp_cmd *cmd, const char **why_r);

/* Tree walking: the first child of a LIST/SECTION (NULL if none), the
 * next sibling (NULL after the last), the i-th argument (NULL if none). */
const struct imapp_tok *imapp_tok_first(const struct imapp_cmd *,
	    const struct imapp_tok *);
const struct imapp_tok *imapp_tok_next(const struct imapp_cmd *,
	    const struct imapp_tok *);
const struct imapp_tok *imapp_arg(const struct imapp_cmd *, uint32_t i);
/* 1 if t is an astring (ATOM without list-wildcards/"\"... per RFC
 * ASTRING-CHAR, NUMBER, NIL, QUOTED, LITERAL), else 0.  A mailbox name is
 * an astring. */
int	imapp_tok_is_astring(const struct imapp_tok *);
/* Case-insensitive compare of an ATOM/NUMBER/NIL token with a C string. */
int	imapp_tok_is(const struct imapp_tok *, const char *word);

/*
 * Sequence sets (RFC 9051 sequence-set, RFC 5182 "$").  imapp_seqset_parse
 * reads "1", "2:4", "7:3" (either order), "*", "5:*", comma lists, or "$"
 * alone (is_saved = 1, no ranges: the caller substitutes the saved search
 * result).  Numbers are 1..UINT32_MAX; "*" is kept as 0 until resolved.
 * At most IMAPP_SEQSET_MAX ranges.  imapp_seqset_contains(set, n, star)
 * works on any parsed set ("*" means star, the highest number in use; a
 * star of 0 means an empty mailbox and "*" then matches nothing).
 * imapp_seqset_normalize(set, star) resolves "*", orders, sorts and merges
 * ranges (ascending, disjoint, not adjacent); imapp_seqset_next(set, after)
 * on a normalised set gives the smallest member > after, 0 when none
 * (iterate: for (n = next(s, 0); n != 0; n = next(s, n))).
 * imapp_seqset_format appends "1:3,5" (normalised sets) to out.
 * imapp_seqset_add adds one range (for building COPYUID/ESEARCH output).
 * The struct is caller-owned: imapp_seqset_init / imapp_seqset_fini.
 */
#define IMAPP_SEQSET_MAX	100000	/* ranges; a long UID list */

struct imapp_range {
	uint32_t	 lo, hi;	/* 0 = "*" before normalising */
};

struct imapp_seqset {
	struct imapp_range *r;
	size_t		 n, cap;
	int		 is_saved;	/* "$" */
	int		 is_normal;
};

void	imapp_seqset_init(struct imapp_seqset *);
void	imapp_seqset_fini(struct imapp_seqset *);
int	imapp_seqset_parse(const char *p, size_t n, struct imapp_seqset *,
	    const char **why_r);
int	imapp_seqset_add(struct imapp_seqset *, uint32_t lo, uint32_t hi);
int	imapp_seqset_contains(const struct imapp_seqset *, uint32_t n,
	    uint32_t star);
void	imapp_seqset_normalize(struct imapp_seqset *, uint32_t star);
uint32_t imapp_seqset_next(const struct imapp_seqset *, uint32_t after);
uint64_t imapp_seqset_count(const struct imapp_seqset *);	/* normalised */
int	imapp_seqset_format(const struct imapp_seqset *, struct sbuf *out);

/*
 * FETCH (RFC 9051 6.4.5, RFC 3516, RFC 7162).  imapp_fetch_parse takes
 * the fetch-att token (an atom such as ALL/FAST/FULL/UID, a SECTION, or a
 * list of them) and fills f->item[] (macros expanded: ALL = FLAGS
 * INTERNALDATE RFC822.SIZE ENVELOPE; FAST = FLAGS INTERNALDATE
 * RFC822.SIZE; FULL = ALL + BODY).  A SECTION item's sec points at the
 * token's section (BODY.PEEK / BINARY.PEEK give peek = 1; BINARY.SIZE
 * takes no partial).  At most IMAPP_FETCH_ITEMS items.
 * imapp_fetch_mods_parse takes the optional modifier list
 * "(CHANGEDSINCE n [VANISHED])" (VANISHED only with CHANGEDSINCE and UID).
 */
#define IMAPP_FETCH_ITEMS	128

enum imapp_fetch_att {
	IMAPP_FA_FLAGS,
	IMAPP_FA_INTERNALDATE,
	IMAPP_FA_RFC822_SIZE,
	IMAPP_FA_ENVELOPE,
	IMAPP_FA_BODY,			/* BODY without [] */
	IMAPP_FA_BODYSTRUCTURE,
	IMAPP_FA_UID,
	IMAPP_FA_RFC822,
	IMAPP_FA_RFC822_HEADER,
	IMAPP_FA_RFC822_TEXT,
	IMAPP_FA_BODY_SECTION,		/* BODY[...] / BODY.PEEK[...] */
	IMAPP_FA_BINARY,		/* BINARY[...] / BINARY.PEEK[...] */
	IMAPP_FA_BINARY_SIZE,
	IMAPP_FA_MODSEQ
};

struct imapp_fetch_item {
	enum imapp_fetch_att att;
	int		 peek;
	const struct imapp_section *sec;	/* BODY_SECTION, BINARY* */
};

struct imapp_fetch {
	struct imapp_fetch_item item[IMAPP_FETCH_ITEMS];
	size_t		 n;
};

struct imapp_fetch_mods {
	int		 has_changedsince;
	uint64_t	 changedsince;
	int		 vanished;
};

int	imapp_fetch_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_fetch *, const char **why_r);
int	imapp_fetch_mods_parse(const struct imapp_cmd *,
	    const struct imapp_tok *, int uid, struct imapp_fetch_mods *,
	    const char **why_r);
const char *imapp_fetch_att_name(enum imapp_fetch_att);

/*
 * Flags.  imapp_flags_parse takes a flag list "(\Seen $Junk)" or, when
 * allow_single, one flag atom.  System flags become bits; \Recent and \*
 * are BAD (not settable: \* is only ever output in PERMANENTFLAGS), as is
 * any other "\word"; keywords are atoms of ATOM-CHARs (no "\", "]", "%",
 * "*"), kept as tokens (kw[], at most IMAPP_KEYWORDS).
 */
#define IMAPP_F_SEEN		0x01
#define IMAPP_F_ANSWERED	0x02
#define IMAPP_F_FLAGGED		0x04
#define IMAPP_F_DELETED		0x08
#define IMAPP_F_DRAFT		0x10
#define IMAPP_F_RECENT		0x20	/* only for search evaluation */
#define IMAPP_KEYWORDS		64

struct imapp_flags {
	unsigned	 sys;		/* IMAPP_F_* */
	const struct imapp_tok *kw[IMAPP_KEYWORDS];
	size_t		 nkw;
};

int	imapp_flags_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    int allow_single, struct imapp_flags *, const char **why_r);
/* Parses one flag name: 1..5 for \Seen.. (the IMAPP_F_* bit in *bit_r),
 * 0 for a keyword, -1 for BAD. */
int	imapp_flag_name(const char *p, size_t n, unsigned *bit_r);

/*
 * STORE (RFC 9051 6.4.6, RFC 7162 3.1.3): t is the token after the
 * sequence set: [ "(UNCHANGEDSINCE n)" ] ("FLAGS"|"+FLAGS"|"-FLAGS")
 * [".SILENT"] (flag-list | flag *(SP flag)).
 */
enum imapp_store_op {
	IMAPP_STORE_SET,
	IMAPP_STORE_ADD,
	IMAPP_STORE_DEL
};

struct imapp_store {
	enum imapp_store_op op;
	int		 silent;
	int		 has_unchangedsince;
	uint64_t	 unchangedsince;
	struct imapp_flags flags;
};

int	imapp_store_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_store *, const char **why_r);

/*
 * Dates.  imapp_datetime_parse reads the APPEND/INTERNALDATE form
 * "dd-Mon-yyyy hh:mm:ss +zzzz" (day 2 digits or SP + 1 digit; month name
 * any case; year 1900..9999; zone -1400..+1400, minutes < 60; days checked
 * against the month, 29-Feb only in leap years) into UTC seconds and the
 * zone in minutes east.  imapp_date_parse reads the SEARCH "d-Mon-yyyy"
 * (1 or 2 digit day) into days since 1970-01-01 (may be negative).
 * imapp_datetime_format writes "dd-Mon-yyyy hh:mm:ss +zzzz" (26 bytes +
 * NUL; no quotes) of utc shown in the given zone; -1 if out of range.
 */
#define IMAPP_DATETIME_LEN	26

int	imapp_datetime_parse(const char *p, size_t n, int64_t *utc_r,
	    int *zone_min_r, const char **why_r);
int	imapp_date_parse(const char *p, size_t n, int64_t *day_r,
	    const char **why_r);
int	imapp_datetime_format(int64_t utc, int zone_min,
	    char out[IMAPP_DATETIME_LEN + 1]);

/* STATUS items (RFC 9051 6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE,
 * RFC 7889 APPENDLIMIT):
 * a non-empty list of item atoms -> IMAPP_ST_* bits. */
#define IMAPP_ST_MESSAGES	0x01
#define IMAPP_ST_RECENT		0x02
#define IMAPP_ST_UIDNEXT	0x04
#define IMAPP_ST_UIDVALIDITY	0x08
#define IMAPP_ST_UNSEEN		0x10
#define IMAPP_ST_DELETED	0x20
#define IMAPP_ST_SIZE		0x40
#define IMAPP_ST_HIGHESTMODSEQ	0x80
#define IMAPP_ST_APPENDLIMIT	0x100	/* RFC 7889 */

int	imapp_status_items_parse(const struct imapp_cmd *,
	    const struct imapp_tok *, unsigned *items_r, const char **why_r);

/*
 * LIST / LSUB (RFC 9051 6.3.9, RFC 5258, RFC 6154, RFC 5819): t is the
 * first argument.  [ "(" selection-opts ")" ] reference (astring)
 * pattern (list-mailbox: astring plus % and *, or a list of them)
 * [ "RETURN (" return-opts ")" ] where STATUS takes a list of status
 * items.  Strings are tokens (quoted ones already unescaped).
 */
#define IMAPP_LIST_PATTERNS	16

#define IMAPP_LSEL_SUBSCRIBED		0x01
#define IMAPP_LSEL_REMOTE		0x02
#define IMAPP_LSEL_RECURSIVEMATCH	0x04
#define IMAPP_LSEL_SPECIAL_USE		0x08
#define IMAPP_LRET_SUBSCRIBED		0x01
#define IMAPP_LRET_CHILDREN		0x02
#define IMAPP_LRET_SPECIAL_USE		0x04
#define IMAPP_LRET_STATUS		0x08

struct imapp_list {
	unsigned	 sel;		/* IMAPP_LSEL_* */
	unsigned	 ret;		/* IMAPP_LRET_* */
	unsigned	 status_items;	/* with IMAPP_LRET_STATUS */
	int		 extended;	/* selection or RETURN given, or a
					 * pattern list */
	const struct imapp_tok *ref;
	const struct imapp_tok *pattern[IMAPP_LIST_PATTERNS];
	size_t		 npatterns;
};

int	imapp_list_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_list *, const char **why_r);

/*
 * APPEND (RFC 9051 6.3.12, RFC 3502 MULTIAPPEND): t is the first argument:
 * mailbox 1*(SP [flag-list SP] [date-time SP] literal).  date-time is a
 * QUOTED token, checked by imapp_datetime_parse.  The literal may be a
 * literal8 (RFC 3516) or RFC 6855's "UTF8 (" literal8 ")" (utf8 = 1,
 * data the literal8).
 */
#define IMAPP_APPEND_MAX	64	/* messages in one MULTIAPPEND */

struct imapp_append_msg {
	struct imapp_flags flags;
	int		 has_date;
	int64_t		 date;		/* UTC */
	int		 zone;		/* minutes east */
	const struct imapp_tok *data;	/* LITERAL or LITERAL8 */
	int		 utf8;		/* RFC 6855 "UTF8 (~{n}...)" */
};

struct imapp_append {
	const struct imapp_tok *mailbox;
	struct imapp_append_msg msg[IMAPP_APPEND_MAX];
	size_t		 n;
};

int	imapp_append_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_append *, const char **why_r);

/*
 * SELECT / EXAMINE (RFC 9051 6.3.2, RFC 7162 3.1.8 and 3.2.5): mailbox
 * [ "(" params ")" ] with CONDSTORE and
 * QRESYNC (uidvalidity modseq [known-uids [(seq-match-seqs seq-match-uids)]]).
 * The sets are tokens; parse them with imapp_seqset_parse (they are
 * checked here too).
 */
struct imapp_select {
	const struct imapp_tok *mailbox;
	int		 condstore;
	int		 qresync;
	uint32_t	 uidvalidity;
	uint64_t	 modseq;
	const struct imapp_tok *known_uids;	/* NULL if absent */
	const struct imapp_tok *seq_match_seqs;	/* NULL if absent */
	const struct imapp_tok *seq_match_uids;
};

int	imapp_select_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_select *, const char **why_r);

/* ENABLE (RFC 5161): 1*(SP capability); known ones become bits, unknown
 * ones are ignored (the RFC says so). */
#define IMAPP_EN_CONDSTORE	0x01
#define IMAPP_EN_QRESYNC	0x02
#define IMAPP_EN_UTF8_ACCEPT	0x04
#define IMAPP_EN_IMAP4REV2	0x08

int	imapp_enable_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    unsigned *caps_r, const char **why_r);

/* ID (RFC 2971): NIL or a list of string/nstring pairs; at most
 * IMAPP_ID_PAIRS, keys 1..30 bytes, values up to 1024 (3.3). */
#define IMAPP_ID_PAIRS		30

struct imapp_id {
	const struct imapp_tok *key[IMAPP_ID_PAIRS];
	const struct imapp_tok *value[IMAPP_ID_PAIRS];	/* NIL: a NIL tok */
	size_t		 n;
};

int	imapp_id_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_id *, const char **why_r);

/*
 * SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731, RFC 5182, RFC 7162,
 * RFC 5032).  imapp_search_parse(cmd, t, flags, s, &why): t is the first
 * argument of SEARCH (or the first search key of SORT/THREAD, with
 * IMAPP_SEARCH_NOPREFIX).  [RETURN (MIN MAX ALL COUNT SAVE)]
 * [CHARSET cs] 1*(SP search-key), ANDed.  Charsets UTF-8 and US-ASCII
 * (any case) are accepted; others give IMAPP_EBADCHARSET.  Nesting
 * (parentheses, NOT, OR) deeper than IMAPP_SEARCH_DEPTH is IMAPP_ELIMIT.
 * The tree lives in s->node[] (node 0 is the root AND); strings point
 * into the cmd's storage; sequence sets are parsed into s->set[] (those
 * without "*" already normalised, so a long UID list costs a binary
 * search per message).
 *
 * imapp_search_eval(s, m) evaluates the tree against one message: 1
 * match, 0 no match, -1 a callback failed.  AND and OR evaluate cheap
 * keys (flags, numbers, dates, sets) before keys that need a callback,
 * and stop as soon as the answer is known.  Dates: BEFORE/ON/SINCE
 * compare the internal date's calendar day in its own zone (m->internal
 * + m->internal_zone: the day the client sees in INTERNALDATE), and
 * SENT* the Date header's day in its own zone; both "disregard time and
 * timezone" (RFC 3501 6.4.4).  Dovecot does the same for INTERNALDATE.
 * OLDER n matches when m->now - m->internal >= n seconds, YOUNGER n when
 * it is < n (so each is the other's NOT).  The keys run to the end of the
 * arguments.
 * "*" in a set resolves to m->star (seq) or m->star_uid (UID).  "$"
 * calls m->saved (NULL: never matches).  Sequence-set keys match m->seq.
 */
#define IMAPP_SEARCH_DEPTH	32
#define IMAPP_SEARCH_NODES	10000

#define IMAPP_SEARCH_NOPREFIX	0x01	/* no RETURN/CHARSET (SORT/THREAD) */

#define IMAPP_RET_MIN		0x01
#define IMAPP_RET_MAX		0x02
#define IMAPP_RET_ALL		0x04
#define IMAPP_RET_COUNT		0x08
#define IMAPP_RET_SAVE		0x10

enum imapp_skey {
	IMAPP_SK_AND,		/* kids */
	IMAPP_SK_OR,		/* 2 kids */
	IMAPP_SK_NOT,		/* 1 kid */
	IMAPP_SK_ALL,
	IMAPP_SK_FLAG,		/* flag bit set: ANSWERED DELETED ... */
	IMAPP_SK_NOFLAG,	/* flag bit clear: UNANSWERED ... */
	IMAPP_SK_NEW,		/* RECENT and not SEEN */
	IMAPP_SK_OLD,		/* not RECENT */
	IMAPP_SK_KEYWORD,	/* str */
	IMAPP_SK_UNKEYWORD,
	IMAPP_SK_LARGER,	/* num */
	IMAPP_SK_SMALLER,
	IMAPP_SK_BEFORE,	/* num = day */
	IMAPP_SK_ON,
	IMAPP_SK_SINCE,
	IMAPP_SK_SENTBEFORE,
	IMAPP_SK_SENTON,
	IMAPP_SK_SENTSINCE,
	IMAPP_SK_OLDER,		/* num = seconds */
	IMAPP_SK_YOUNGER,
	IMAPP_SK_MODSEQ,	/* num; modseq >= num */
	IMAPP_SK_SEQSET,	/* set */
	IMAPP_SK_UIDSET,	/* set */
	IMAPP_SK_HEADER,	/* hdr, str */
	IMAPP_SK_BODY,		/* str */
	IMAPP_SK_TEXT		/* str */
};

struct imapp_snode {
	enum imapp_skey	 key;
	uint32_t	 kid;		/* first child (AND OR NOT), 0 none */
	uint32_t	 next;		/* next sibling, 0 none */
	uint32_t	 nkids;
	int		 costly;	/* this subtree calls a callback */
	unsigned	 flag;		/* FLAG/NOFLAG: IMAPP_F_* */
	int64_t		 num;
	uint32_t	 set;		/* index into s->set */
	const char	*hdr;		/* HEADER field name (FROM TO CC BCC
					 * SUBJECT map to HEADER) */
	size_t		 hdr_len;
	const char	*str;		/* KEYWORD, HEADER, BODY, TEXT */
	size_t		 str_len;
};

struct imapp_search {
	struct imapp_snode *node;
	uint32_t	 nnode, nodecap;
	struct imapp_seqset *set;
	uint32_t	 nset, setcap;
	unsigned	 ret;		/* IMAPP_RET_*; 0: no RETURN */
	int		 has_return;	/* RETURN () counts as ALL */
	int		 utf8;		/* CHARSET UTF-8 given */
	int		 uses_saved;	/* "$" appears */
	int		 uses_modseq;	/* MODSEQ appears (CONDSTORE) */
};

struct imapp_search_msg {
	uint32_t	 seq, uid;
	uint32_t	 star, star_uid;	/* the highest seq and UID */
	unsigned	 flags;		/* IMAPP_F_*, with IMAPP_F_RECENT */
	uint64_t	 size;
	int64_t		 internal;	/* UTC seconds */
	int		 internal_zone;	/* minutes east */
	int64_t		 now;		/* for OLDER/YOUNGER */
	uint64_t	 modseq;
	void		*ctx;		/* passed to every callback */
	/* 1 has the keyword, 0 not, -1 error. */
	int		(*keyword)(void *ctx, const char *kw, size_t n);
	/* Date header: 1 and *utc_r, *zone_r set, 0 none/unparsable, -1 error. */
	int		(*sent)(void *ctx, int64_t *utc_r, int *zone_r);
	/* Substring match (case-insensitive): 1, 0, -1.  hdr is a field
	 * name (n > 0) for HEADER; an empty s matches any message that has
	 * the field. */
	int		(*header)(void *ctx, const char *hdr, size_t hn,
			    const char *s, size_t n);
	int		(*body)(void *ctx, const char *s, size_t n);
	int		(*text)(void *ctx, const char *s, size_t n);
	/* "$": 1 if in the saved result, 0 not. */
	int		(*saved)(void *ctx, uint32_t seq, uint32_t uid);
};

void	imapp_search_init(struct imapp_search *);
void	imapp_search_fini(struct imapp_search *);
int	imapp_search_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    unsigned flags, struct imapp_search *, const char **why_r);
int	imapp_search_eval(const struct imapp_search *,
	    const struct imapp_search_msg *);

/*
 * SORT (RFC 5256, RFC 5957) and THREAD (RFC 5256): t is the first
 * argument.  SORT: "(" 1*criterion ")" charset search-keys; criteria
 * ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO, each may
 * be preceded by REVERSE.  THREAD: ORDEREDSUBJECT|REFERENCES charset
 * search-keys.  The charset must be UTF-8 or US-ASCII (else
 * IMAPP_EBADCHARSET); the keys are parsed into s (init it first).
 */
#define IMAPP_SORT_CRITERIA	16

enum imapp_sort_key {
	IMAPP_SORT_ARRIVAL,
	IMAPP_SORT_CC,
	IMAPP_SORT_DATE,
	IMAPP_SORT_FROM,
	IMAPP_SORT_SIZE,
	IMAPP_SORT_SUBJECT,
	IMAPP_SORT_TO,
	IMAPP_SORT_DISPLAYFROM,
	IMAPP_SORT_DISPLAYTO
};

struct imapp_sort {
	enum imapp_sort_key key[IMAPP_SORT_CRITERIA];
	int		 reverse[IMAPP_SORT_CRITERIA];
	size_t		 n;
};

enum imapp_thread_alg {
	IMAPP_THREAD_ORDEREDSUBJECT,
	IMAPP_THREAD_REFERENCES
};

int	imapp_sort_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    struct imapp_sort *, struct imapp_search *, const char **why_r);
int	imapp_thread_parse(const struct imapp_cmd *, const struct imapp_tok *,
	    enum imapp_thread_alg *, struct imapp_search *,
	    const char **why_r);

#endif
