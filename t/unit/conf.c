/* Unit tests for lib/conf: syntax, errors with FILE:LINE, include,
 * ${} expansion, types, validation, dump.  Files live in a mkdtemp folder. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char dir[PATH_MAX];
static char pathbuf[PATH_MAX];
static struct sbuf err;

static const char *
path(const char *name)
{
	if (snprintf(pathbuf, sizeof pathbuf, "%s/%s", dir, name) >=
	    (int)sizeof pathbuf)
		abort();
	return pathbuf;
}

static void
put_n(const char *name, const char *data, size_t len)
{
	FILE *fp = fopen(path(name), "w");

	if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

static void
put(const char *name, const char *data)
{
	put_n(name, data, strlen(data));
}

/* Load dir/name; returns the conf or NULL (message in err). */
static struct conf *
load(const char *name)
{
	struct conf *c = NULL;

	sbuf_reset(&err);
	if (conf_load(path(name), &c, &err) < 0)
		return NULL;
	return c;
}

/* The error text with the temp folder replaced by "D". */
static const char *
errtext(void)
{
	static char out[8192];
	const char *s = sbuf_str(&err), *p;
	size_t dl = strlen(dir), o = 0;

	if (s == NULL)
		return "(null)";
	while (*s != '\0' && o + 2 < sizeof out) {
		if ((p = strstr(s, dir)) == s) {
			out[o++] = 'D';
			s += dl;
		} else
			out[o++] = *s++;
	}
	out[o] = '\0';
	return out;
}

/* Load a one-file config that must fail; compare the message. */
static void
load_err(const char *text, const char *want, const char *name)
{
	struct conf *c;

	put("e.conf", text);
	c = load("e.conf");
	ok(c == NULL, "%s: load fails", name);
	is_str(errtext(), want, name);
	conf_free(&c);
}

/* Load a config that loads but must fail validation. */
static void
validate_err(const char *text, const char *want, const char *name)
{
	struct conf *c;

	put("v.conf", text);
	c = load("v.conf");
	ok(c != NULL, "%s: loads", name);
	if (c == NULL) {
		diag("%s", errtext());
		skip(2, "no conf");
		return;
	}
	sbuf_reset(&err);
	ok(conf_validate(c, &err) == -1, "%s: invalid", name);
	is_str(errtext(), want, name);
	conf_free(&c);
}

static void
test_syntax(void)
{
	struct conf *c;
	uint64_t u;

	put("a.conf",
	    "# a comment\n"
	    "\n"
	    "   # an indented comment\n"
	    "hostname = mx.example.org   \n"
	    "user=alice\n"
	    "smtp.listen = 127.0.0.1:25\n"
	    "   [::1]:25\n"
	    "\n"
	    "\t127.0.0.2:25\n"
	    "smtp.refuse = 421 # not a comment\n"
	    "smtp.max_per_ip = 3\n"
	    "smtp.max_per_ip = 4\n"
	    "services = smtp");	/* no final newline */
	c = load("a.conf");
	ok(c != NULL, "syntax file loads");
	if (c == NULL) {
		diag("%s", errtext());
		return;
	}
	is_str(conf_str(c, "hostname"), "mx.example.org", "blanks trimmed");
	is_str(conf_str(c, "user"), "alice", "no blanks around =");
	is_str(conf_str(c, "smtp.listen"),
	    "127.0.0.1:25 [::1]:25 127.0.0.2:25",
	    "continuation joined with one space, across a blank line");
	is_str(conf_str(c, "smtp.refuse"), "421 # not a comment",
	    "# inside a value is kept");
	is_int(conf_uint(c, "smtp.max_per_ip", &u), 0, "uint");
	is_int((long long)u, 4, "later setting overrides");
	is_str(conf_str(c, "services"), "smtp", "last line without newline");
	ok(conf_is_set(c, "user"), "is_set for a set key");
	ok(!conf_is_set(c, "queue_dir"), "not is_set for a default");
	is_str(conf_str(c, "queue_dir"), "/var/spool/tern", "default");
	is_str(conf_str(c, "smtp.user"), "alice", "service default ${user}");
	is_str(conf_str(c, "imap.user"), "alice", "any service's default");
	sbuf_reset(&err);
	is_int(conf_validate(c, &err), 0, "validates");
	conf_free(&c);
	ok(c == NULL, "conf_free NULLs");

	put("crlf.conf", "user = bob\r\nsmtp.listen = a\r\n  b\r\n");
	c = load("crlf.conf");
	ok(c != NULL, "CRLF file loads");
	is_str(c ? conf_str(c, "user") : NULL, "bob", "CR dropped");
	is_str(c ? conf_str(c, "smtp.listen") : NULL, "a b",
	    "CRLF continuation");
	conf_free(&c);
}

static void
test_errors(void)
{
	char *big;
	size_t n = CONF_LINE_MAX + 20;

	load_err("user = a\nnope = 1\n", "D/e.conf:2: unknown key 'nope'",
	    "unknown key");
	load_err("foo.nope = 1\n", "D/e.conf:1: unknown key 'foo.nope'",
	    "unknown service key");
	load_err("User = 1\n", "D/e.conf:1: invalid key 'User'",
	    "upper case key");
	load_err("us\xc3\xa9r = 1\n",
	    "D/e.conf:1: invalid key 'us\\xc3\\xa9r'", "non-ASCII key");
	load_err("a b = 1\n", "D/e.conf:1: invalid key 'a b'",
	    "blank in key");
	load_err("\n\njust words\n",
	    "D/e.conf:3: expected 'key = value': just words", "no =");
	load_err(" = 1\n", "D/e.conf:1: continuation line without a setting",
	    "leading blank on first line");
	load_err("= 1\n", "D/e.conf:1: missing key before '='",
	    "missing key");
	load_err("conf_dir = /x\n",
	    "D/e.conf:1: conf_dir is built in and read-only", "conf_dir");
	load_err("include nothere.conf\n",
	    "D/e.conf:1: include D/nothere.conf: No such file or directory",
	    "missing include");
	load_err("user = a\x01z\n", "D/e.conf:1: control character \\x01",
	    "control byte");
	load_err("a.user = b\nb = c\nc = d\n",
	    "D/e.conf:2: unknown key 'b'\nD/e.conf:3: unknown key 'c'",
	    "several errors, one per line");

	put_n("e.conf", "user = a\nuser = b\0c\n", 20);
	ok(load("e.conf") == NULL, "NUL byte rejected");
	is_str(errtext(), "D/e.conf:2: NUL byte", "NUL byte message");

	big = malloc(n + 16);
	if (big == NULL)
		abort();
	memcpy(big, "hostname = ", 11);
	memset(big + 11, 'x', n - 11);
	memcpy(big + n, "\nuser = a\n", 11);
	put("e.conf", big);
	ok(load("e.conf") == NULL, "line over CONF_LINE_MAX rejected");
	is_str(errtext(), "D/e.conf:1: line too long (more than 4096 bytes)",
	    "long line message");
	/* Exactly CONF_LINE_MAX is fine. */
	memset(big + 11, 'x', CONF_LINE_MAX - 11);
	memcpy(big + CONF_LINE_MAX, "\n", 2);
	put("e.conf", big);
	{
		struct conf *c = load("e.conf");

		ok(c != NULL, "line of exactly CONF_LINE_MAX accepted");
		conf_free(&c);
	}
	/* Continuations count too. */
	memset(big, 0, n + 16);
	memcpy(big, "hostname = a\n", 13);
	memset(big + 13, ' ', 1);
	memset(big + 14, 'y', CONF_LINE_MAX - 20);
	memcpy(big + 14 + CONF_LINE_MAX - 20, "\n zzzzzzzzzz\n", 14);
	put("e.conf", big);
	ok(load("e.conf") == NULL, "continuation past CONF_LINE_MAX rejected");
	is_str(errtext(), "D/e.conf:3: line too long (more than 4096 bytes "
	    "with its continuation lines)", "long continuation message");
	free(big);
}

static void
test_include(void)
{
	struct conf *c;
	char name[32], text[64], moved[PATH_MAX];
	int i;

	if (mkdir(path("sub"), 0700) < 0)
		abort();
	put("sub/inner.conf", "user = inner\nhostname = h\n");
	put("sub/mid.conf", "include inner.conf\nuser = mid\n");
	put("inc.conf", "user = top\ninclude sub/mid.conf\n"
	    "smtp.user = ${user}x\n");
	c = load("inc.conf");
	ok(c != NULL, "nested include loads");
	is_str(c ? conf_str(c, "user") : NULL, "mid",
	    "include relative to the including file, later overrides");
	is_str(c ? conf_str(c, "hostname") : NULL, "h", "inner value");
	is_str(c ? conf_str(c, "smtp.user") : NULL, "midx", "expansion");
	conf_free(&c);

	put("badinc.conf", "user = a\ninclude sub/bad.conf\n");
	put("sub/bad.conf", "\nwrong = 1\n");
	ok(load("badinc.conf") == NULL, "error in an included file");
	is_str(errtext(), "D/sub/bad.conf:2: unknown key 'wrong'",
	    "names the included file and line");

	/* A chain of includes: CONF_INCLUDE_MAX deep is fine, one more not. */
	for (i = 0; i < CONF_INCLUDE_MAX + 1; i++) {
		(void)snprintf(name, sizeof name, "d%d.conf", i);
		(void)snprintf(text, sizeof text, "include d%d.conf\n", i + 1);
		put(name, text);
	}
	(void)snprintf(name, sizeof name, "d%d.conf", CONF_INCLUDE_MAX);
	put(name, "user = deep\n");
	c = load("d0.conf");
	ok(c != NULL, "include depth CONF_INCLUDE_MAX accepted");
	is_str(c ? conf_str(c, "user") : NULL, "deep", "deep value");
	conf_free(&c);
	(void)snprintf(name, sizeof name, "d%d.conf", CONF_INCLUDE_MAX);
	(void)snprintf(text, sizeof text, "include d%d.conf\n",
	    CONF_INCLUDE_MAX + 1);
	put(name, text);
	(void)snprintf(name, sizeof name, "d%d.conf", CONF_INCLUDE_MAX + 1);
	put(name, "user = deeper\n");
	ok(load("d0.conf") == NULL, "include depth past the limit rejected");
	is_str(errtext(), "D/d8.conf:1: include nested more than 8 deep",
	    "depth message");
	put("self.conf", "include self.conf\n");
	ok(load("self.conf") == NULL, "include loop rejected");
	put("dirinc.conf", "include sub\n");
	ok(load("dirinc.conf") == NULL, "include of a folder rejected");
	is_str(errtext(), "D/dirinc.conf:1: include D/sub: Is a directory",
	    "folder message");
	put("contafter.conf", "include sub/inner.conf\n  more\n");
	ok(load("contafter.conf") == NULL, "continuation after include");

	/* conf_changed: the main file and every include are watched. */
	put("sub/inner.conf", "user = inner\nhostname = h\n");
	c = load("inc.conf");
	is_int(c ? conf_changed(c) : -1, 0, "conf_changed: not after a load");
	put("sub/inner.conf", "user = inner\nhostname = h2\n");
	is_int(c ? conf_changed(c) : -1, 1, "an include rewritten: changed");
	conf_free(&c);
	c = load("inc.conf");
	is_int(c ? conf_changed(c) : -1, 0, "reloaded: not changed");
	(void)snprintf(moved, sizeof moved, "%s", path("x.conf"));
	if (rename(path("inc.conf"), moved) < 0)
		abort();
	is_int(c ? conf_changed(c) : -1, 1, "main file gone: changed");
	if (rename(moved, path("inc.conf")) < 0)
		abort();
	conf_free(&c);
}

static void
test_expand(void)
{
	struct conf *c;
	char text[2048];
	size_t o = 0;
	int i;

	put("x.conf", "hostname = ${user}.${recipient_delimiter}$x${\n"
	    "smtp.args = -d ${conf_dir} ${hostname}\n"
	    "queue_dir = ${conf_dir}/queue\n");
	c = load("x.conf");
	ok(c != NULL, "expansion file loads");
	if (c == NULL)
		return;
	sbuf_reset(&err);
	is_int(conf_validate(c, &err), -1, "unterminated ${ is invalid");
	is_str(errtext(), "D/x.conf:1: unterminated ${ in 'hostname'",
	    "unterminated message");
	ok(conf_str(c, "hostname") == NULL, "lookup of a broken value: NULL");
	ok(conf_str(c, "smtp.args") == NULL, "and of what refers to it");
	ok(conf_dir(c)[0] == '/', "conf_dir is absolute");
	is_str(conf_str(c, "conf_dir"), dir, "conf_dir is the folder");
	ok(strncmp(conf_str(c, "queue_dir"), dir, strlen(dir)) == 0,
	    "${conf_dir} expands");
	is_str(conf_str(c, "map_dir"), dir, "map_dir default");
	conf_free(&c);

	put("y.conf", "hostname = a$b\nuser = ${hostname}-${hostname}\n");
	c = load("y.conf");
	is_str(c ? conf_str(c, "user") : NULL, "a$b-a$b",
	    "lone $ kept, repeated reference");
	conf_free(&c);

	validate_err("user = ${queue_user}\nqueue_user = ${user}\n",
	    "D/v.conf:1: user: ${queue_user} loops back to itself", "loop");
	put("v.conf", "user = ${user}\n");
	c = load("v.conf");
	ok(c && conf_str(c, "user") == NULL, "self loop: lookup NULL");
	ok(c && conf_str(c, "smtp.user") == NULL, "inherits the loop");
	conf_free(&c);
	validate_err("user = ${nosuch}\n",
	    "D/v.conf:1: user: unknown variable ${nosuch}", "unknown var");

	/* Regression (fuzz): a long, binary variable name kept FILE:LINE. */
	memcpy(text, "user = ${", 9);
	memset(text + 9, 0xff, 250);
	memcpy(text + 259, "}\n", 3);
	put("v.conf", text);
	c = load("v.conf");
	sbuf_reset(&err);
	ok(c && conf_validate(c, &err) == -1, "long binary ${name} invalid");
	ok(strncmp(errtext(), "D/v.conf:1: user: unknown variable ${\\xff",
	    40) == 0, "long binary ${name} message has FILE:LINE");
	conf_free(&c);

	/* A chain a0 -> a1 ...: services keys x0.args = ${x1.args} ... */
	for (i = 0; i < CONF_EXPAND_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof text - o,
		    "x%d.args = ${x%d.args}\n", i, i + 1);
	o += (size_t)snprintf(text + o, sizeof text - o, "x%d.args = end\n",
	    CONF_EXPAND_MAX);
	put("chain.conf", text);
	c = load("chain.conf");
	sbuf_reset(&err);
	ok(c && conf_validate(c, &err) == 0, "nesting CONF_EXPAND_MAX ok");
	is_str(c ? conf_str(c, "x0.args") : NULL, "end", "chain value");
	conf_free(&c);
	(void)snprintf(text + o - 4, sizeof text - o + 4,
	    "${x%d.args}\nx%d.args = end\n", CONF_EXPAND_MAX + 1,
	    CONF_EXPAND_MAX + 1);
	put("chain.conf", text);
	c = load("chain.conf");
	ok(c && conf_str(c, "x1.args") != NULL, "deep chain: inner ok");
	ok(c && conf_str(c, "x0.args") == NULL, "deep chain: top fails");
	sbuf_reset(&err);
	ok(c && conf_validate(c, &err) == -1, "too deep is invalid");
	is_str(errtext(), "D/chain.conf:1: x0.args: ${} nested more than 16 "
	    "deep", "depth message");
	conf_free(&c);

	/* Exponential growth is bounded by CONF_VALUE_MAX. */
	put("big.conf", "hostname = ${user}${user}${user}${user}\n"
	    "user = ${queue_user}${queue_user}${queue_user}${queue_user}\n"
	    "queue_user = ${auth_user}${auth_user}${auth_user}${auth_user}\n"
	    "auth_user = ${login_user}${login_user}${login_user}\n"
	    "login_user = 0123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123456789"
	    "0123456789\n");
	c = load("big.conf");
	ok(c && conf_str(c, "hostname") == NULL, "expansion too long");
	ok(c && conf_str(c, "user") != NULL, "shorter value fine");
	conf_free(&c);
}

static void
test_types(void)
{
	struct conf *c;
	uint64_t u;
	int b;
	char **w;
	size_t n;

	put("t.conf",
	    "account_uid_min = 5000\n"
	    "allow_plain_passwords = yes\n"
	    "smtp.restart_delay = 5m\n"
	    "smtp.enable = off\n"
	    "roles = mx, storage\tfront\n"
	    "services = smtp submission\n"
	    "queue_dir = /var/q\n");
	c = load("t.conf");
	ok(c != NULL, "types file loads");
	if (c == NULL)
		return;
	sbuf_reset(&err);
	is_int(conf_validate(c, &err), 0, "types file validates");
	is_int(conf_uint(c, "account_uid_min", &u), 0, "conf_uint");
	is_int((long long)u, 5000, "uint value");
	is_int(conf_uint(c, "account_uid_max", &u), 0, "uint default");
	is_int((long long)u, 1999999, "uint default value");
	is_int(conf_bool(c, "allow_plain_passwords", &b), 0, "conf_bool");
	is_int(b, 1, "bool yes");
	is_int(conf_bool(c, "smtp.enable", &b), 0, "service bool");
	is_int(b, 0, "bool off");
	is_int(conf_bool(c, "imap.enable", &b), 0, "service bool default");
	is_int(b, 1, "default yes");
	is_int(conf_duration(c, "smtp.restart_delay", &u), 0, "duration");
	is_int((long long)u, 300, "5m is 300 s");
	is_int(conf_duration(c, "imap.restart_delay", &u), 0, "default");
	is_int((long long)u, 1, "1s");
	is_int(conf_size(c, "account_uid_min", &u), 0, "conf_size");
	is_int((long long)u, 5000, "size of a plain number");
	is_int(conf_list(c, "roles", &w, &n), 0, "conf_list");
	is_int((long long)n, 3, "three words (blank and comma)");
	ok(n == 3 && strcmp(w[0], "mx") == 0 && strcmp(w[1], "storage") == 0
	    && strcmp(w[2], "front") == 0 && w[3] == NULL, "the words");
	free(w);
	is_int(conf_list(c, "smtp.listen", &w, &n), 0, "empty list");
	is_int((long long)n, 0, "no words");
	free(w);
	is_int(conf_services(c, &w, &n), 0, "conf_services");
	ok(n == 2 && strcmp(w[0], "smtp") == 0 &&
	    strcmp(w[1], "submission") == 0, "services in order");
	free(w);
	is_str(conf_path(c, "queue_dir"), "/var/q", "conf_path");
	is_str(conf_path(c, "tls_cert") ? "abs" : "rel", "abs",
	    "default path absolute");
	ok(conf_key_find("smtp.listen") != NULL &&
	    strcmp(conf_key_find("smtp.listen")->name, "*.listen") == 0,
	    "service key matches *.listen");
	ok(conf_key_find("Smtp.listen") == NULL, "bad service name");
	ok(conf_key_find(".listen") == NULL, "empty service name");
	ok(conf_key_find("listen") == NULL, "attr alone is no key");
	ok(conf_key_find("a-b_1.listen") != NULL, "service name chars");
	conf_free(&c);

	validate_err("account_uid_min = x1\n",
	    "D/v.conf:1: account_uid_min: 'x1' is not a number", "uint");
	validate_err("\nsmtp.enable = maybe\n",
	    "D/v.conf:2: smtp.enable: 'maybe' is not yes or no", "bool");
	validate_err("smtp.restart_delay = 5y\n",
	    "D/v.conf:1: smtp.restart_delay: '5y' is not a duration "
	    "(like 90, 5m, 2h, 1d, 1w)", "duration");
	validate_err("pop3_timeout = 0\n",
	    "D/v.conf:1: pop3_timeout: 0 is not a timeout (give at least 1s)",
	    "a 0 timeout");
	validate_err("queue_dir = var/q\n",
	    "D/v.conf:1: queue_dir: 'var/q' is not an absolute path", "path");
	validate_err("hostname = rel\nqueue_dir = ${hostname}/q\n",
	    "D/v.conf:2: queue_dir: 'rel/q' is not an absolute path",
	    "path after expansion");
	validate_err("roles = mx bogus\n",
	    "D/v.conf:1: roles: 'bogus' is not one of the allowed values",
	    "roles");
	validate_err("roles =\n", "D/v.conf:1: roles: empty list",
	    "empty roles");
	validate_err("password_scheme = md5\n", "D/v.conf:1: password_scheme:"
	    " 'md5' is not one of the allowed values", "password_scheme");
	validate_err("log = file\n",
	    "D/v.conf:1: log: 'file' is not one of the allowed values", "log");
	validate_err("x.type = udp\n",
	    "D/v.conf:1: x.type: 'udp' is not one of the allowed values",
	    "service type");
	validate_err("services = smtp Bad smtp\n",
	    "D/v.conf:1: services: 'Bad' is not a service name ([a-z0-9_-]+)"
	    "\nD/v.conf:1: services: 'smtp' listed twice", "services");
	validate_err("account_uid_min = 10\naccount_uid_max = 9\n",
	    "D/v.conf:2: account_uid_max is below account_uid_min",
	    "uid range");
	validate_err("services = smtp\nsmtp.max_connections = ${user}\n",
	    "D/v.conf:2: smtp.max_connections: 'tern' is not a number",
	    "type error after expansion");
}

static void
test_dump(void)
{
	struct conf *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	put("d.conf", "user = zed\nsmtp.listen = 1.2.3.4:25\n"
	    "services = smtp imap\n");
	c = load("d.conf");
	ok(c != NULL, "dump file loads");
	if (c == NULL)
		return;
	fp = open_memstream(&buf, &len);
	is_int(conf_dump(c, fp, 1), 0, "dump -n");
	fclose(fp);
	is_str(buf, "services = smtp imap\nsmtp.listen = 1.2.3.4:25\n"
	    "user = zed\n", "only set keys, sorted");
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	is_int(conf_dump(c, fp, 0), 0, "dump all");
	fclose(fp);
	ok(strstr(buf, "\nqueue_dir = /var/spool/tern\n") != NULL,
	    "defaults printed");
	ok(strstr(buf, "\nsmtp.user = zed\n") != NULL,
	    "service defaults expanded");
	ok(strstr(buf, "\nsmtp.args =\n") != NULL, "empty value");
	ok(strstr(buf, "imap.") == NULL,
	    "no keys of a service with none set");
	ok(strncmp(buf, "conf_dir = /", 12) == 0, "conf_dir first");
	free(buf);
	conf_free(&c);
}

static void
test_mem(void)
{
	struct conf *c = NULL;
	const char txt[] = "user = m\nsmtp.user = ${user}\n";

	sbuf_reset(&err);
	is_int(conf_load_mem(txt, sizeof txt - 1, "/nonexistent/tern.conf",
	    &c, &err), 0, "conf_load_mem");
	is_str(c ? conf_str(c, "smtp.user") : NULL, "m", "mem value");
	is_str(c ? conf_dir(c) : NULL, "/nonexistent", "conf_dir of name");
	conf_free(&c);
	sbuf_reset(&err);
	is_int(conf_load_mem("x", 1, "/n/t.conf", &c, &err), -1, "mem error");
	is_int(errno, EINVAL, "EINVAL for bad contents");
	is_str(sbuf_str(&err), "/n/t.conf:1: expected 'key = value': x",
	    "mem error text");
}

static void
test_locate(void)
{
	struct conf *c = NULL;

	is_str(conf_locate("/x/y.conf"), "/x/y.conf", "-c wins");
	if (setenv("TERN_HOME", "/home/t", 1) < 0)
		abort();
	is_str(conf_locate(NULL), "/home/t/tern.conf", "TERN_HOME");
	if (unsetenv("TERN_HOME") < 0)
		abort();
	is_str(conf_locate(NULL), TERN_SYSCONF "/tern.conf", "TERN_SYSCONF");
	sbuf_reset(&err);
	is_int(conf_load(path("absent.conf"), &c, &err), -1, "missing file");
	is_int(errno, ENOENT, "ENOENT (exit 111)");
	is_str(errtext(), "D/absent.conf:0: No such file or directory",
	    "missing file message");
	put("tern.conf", "user = loc\n");
	if (setenv("TERN_HOME", dir, 1) < 0)
		abort();
	sbuf_reset(&err);
	is_int(conf_read(NULL, &c, &err), 0, "conf_read via TERN_HOME");
	is_str(c ? conf_str(c, "user") : NULL, "loc", "read value");
	conf_free(&c);
}

/* conf_hostname: the setting, else the system's name; too long refused. */
static void
test_hostname(void)
{
	struct conf *c;
	char h[256], sys[256], small[8];

	put("h.conf", "hostname = mx1.example.org\n");
	if ((c = load("h.conf")) == NULL) {
		skip(4, "no conf");
		return;
	}
	is_int(conf_hostname(c, h, sizeof h), 0, "hostname set");
	is_str(h, "mx1.example.org", "... is the setting");
	ok(conf_hostname(c, small, sizeof small) == -1 &&
	    errno == ENAMETOOLONG, "too long for the buffer: ENAMETOOLONG");
	conf_free(&c);
	put("h.conf", "roles = all\n");
	if ((c = load("h.conf")) == NULL) {
		skip(1, "no conf");
		return;
	}
	memset(sys, 0, sizeof sys);
	ok(gethostname(sys, sizeof sys - 1) == 0 &&
	    conf_hostname(c, h, sizeof h) == 0 && strcmp(h, sys) == 0,
	    "hostname unset: the system's name");
	conf_free(&c);
}

int
main(void)
{
	char cmd[PATH_MAX + 16];

	if (snprintf(dir, sizeof dir, "%s/tern-conf-t.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") >= (int)sizeof dir ||
	    mkdtemp(dir) == NULL)
		abort();
	sbuf_init(&err, 65536);
	test_syntax();
	test_errors();
	test_include();
	test_expand();
	test_types();
	test_dump();
	test_mem();
	test_locate();
	test_hostname();
	sbuf_fini(&err);
	/* Remove the folder (only names this test wrote). */
	(void)snprintf(cmd, sizeof cmd, "%s", dir);
	{
		static const char *files[] = { "a.conf", "crlf.conf", "e.conf",
		    "v.conf", "h.conf", "sub/inner.conf", "sub/mid.conf",
		    "sub/bad.conf",
		    "inc.conf", "badinc.conf", "self.conf", "dirinc.conf",
		    "contafter.conf", "x.conf", "y.conf", "chain.conf",
		    "big.conf", "t.conf", "d.conf", "tern.conf", NULL };
		char name[32];
		int i;

		for (i = 0; files[i] != NULL; i++)
			(void)unlink(path(files[i]));
		for (i = 0; i <= CONF_INCLUDE_MAX + 1; i++) {
			(void)snprintf(name, sizeof name, "d%d.conf", i);
			(void)unlink(path(name));
		}
		(void)rmdir(path("sub"));
		(void)rmdir(dir);
	}
	return done_testing();
}
