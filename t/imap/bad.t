#!/bin/sh
# tern-imapd and bad input.  Configured so that 127.0.0.1 may not send a
# password in the clear: LOGINDISABLED, LOGIN/AUTHENTICATE refused with
# [PRIVACYREQUIRED] until STARTTLS.  Before and after login: huge and
# unterminated literals ({4294967295}, {n+}), deep parentheses, NUL
# bytes, over-long lines, unknown commands, a tag missing, invalid
# modified UTF-7, 1,000 pipelined commands; each gets BAD/NO or a clean
# close, the session survives what it should, and nothing crashes.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 30
printf 'login_plaintext_networks = 192.0.2.0/24\nlogin_max_failures = 2\n' >"$SB/extra.conf"
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
import base64, imaplib, socket, time
from imapt import *
r = Raw()
out("greet", r.greet)
out("login_plain", r.last("a1", "LOGIN alice@example.org alice-secret"))
ir = base64.b64encode(b"\0alice@example.org\0alice-secret").decode()
out("auth_plain", r.last("a2", "AUTHENTICATE PLAIN " + ir))
out("nul", r.last("a3", b"a3 NOOP\0x\r\n" if False else "a3 NO\0OP"))
out("unknown", r.last("a4", "FROB"))
out("notag", r.last("*", "*"))
out("deep", r.last("a5", "ID " + "(" * 5000))
out("long", r.last("a6", "NOOP " + "x" * 9000))
r.send("a7 LOGIN {4294967295}")
out("huge_sync", r.line())
out("alive1", r.last("a8", "NOOP"))
r.send("a9 LOGIN {4294967295+}")
out("huge_nonsync", r.line())
out("huge_nonsync_eof", r.line())
r.close()
# STARTTLS: then LOGIN works.
m = imaplib.IMAP4("127.0.0.1", PORT, timeout=30)
out("pre_capa", " ".join(m.capabilities))
m.starttls(ssl_context=ctx())
out("tls_capa", " ".join(m.capabilities))
out("tls_login", m.login("alice@example.org", "alice-secret")[0])
m.logout()
# Unterminated literal: the client goes away in the middle.
r = Raw()
r.send("b1 LOGIN {10}")
out("unterm_cont", r.line())
r.send(b"abc")
r.close()
# After login (imaps: TLS, so passwords are fine).
r = Raw(SPORT, tls=True)
out("w_login", r.last("c1", "LOGIN alice@example.org alice-secret")[:5])
out("w_deep", r.last("c2", "SEARCH " + "(" * 10000 + "ALL" + ")" * 10000))
out("w_nul", r.last("c3", "SELECT IN\0BOX"))
r.send("c4 APPEND INBOX {4294967295}")
out("w_huge", r.line())
# Only APPEND's literals may be a message's size; another command's stay
# within a megabyte, literals included.
r.send("c4b SEARCH TEXT {2000000}")
out("w_big_search", r.line())
r.send("c4c STATUS {5}")
cont = r.line()
r.send("INBOX (MESSAGES)")
out("w_small_search", cont + " | " + r.upto("c4c")[-1])
out("w_mutf7", r.last("c5", "SELECT &Jjo"))
out("w_mutf7b", r.last("c6", "CREATE \"&AC8-etc\""))
out("w_uidbad", r.last("c7", "UID NOOP"))
out("w_noselect", r.last("c8", "FETCH 1 FLAGS"))
out("w_long", r.last("c9", "NOOP " + "x" * 70000))
r.send("d1 APPEND INBOX {5}")
out("w_unterm_cont", r.line())
r.send(b"ab")
r.close()
# 1,000 pipelined commands.
r = Raw(SPORT, tls=True)
r.last("e0", "LOGIN alice@example.org alice-secret")
r.send(b"".join(b"p%d NOOP\r\n" % i for i in range(1000)))
oks = 0
for i in range(1000):
    l = r.upto("p%d" % i)[-1]
    if l == "p%d OK NOOP completed" % i:
        oks += 1
out("pipelined", oks)
r.send("p1000 APPEND INBOX {3+}\r\nabc")
out("literal_plus", r.upto("p1000")[-1][:10])
r.send("p1001 APPEND INBOX {99999999999+}")
out("w_huge_plus", r.line())
out("w_huge_plus_eof", r.line())
r.close()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get greet)" 'LOGINDISABLED' "greeting: LOGINDISABLED before TLS from a network not allowed plaintext"
unlike "$(get greet)" 'AUTH=PLAIN' "greeting: no AUTH=PLAIN then"
like "$(get login_plain)" '^a1 NO \[PRIVACYREQUIRED\]' "LOGIN before TLS refused"
like "$(get auth_plain)" '^a2 NO \[PRIVACYREQUIRED\]' "AUTHENTICATE before TLS refused"
like "$(get nul)" '^a3 BAD' "NUL byte: BAD"
like "$(get unknown)" '^a4 BAD' "unknown command: BAD"
like "$(get notag)" '^\* BAD' "a command without a valid tag: untagged BAD"
like "$(get deep)" '^a5 BAD' "5,000 parentheses before login: BAD"
like "$(get long)" '^a6 BAD' "9000-byte line before login: BAD"
like "$(get huge_sync)" '^a7 NO \[TOOBIG\]' "{4294967295} before login: NO [TOOBIG], no continuation"
is "$(get alive1)" "a8 OK NOOP completed" "the session goes on"
like "$(get huge_nonsync)" '^\* BYE \[TOOBIG\]' "{4294967295+}: BYE"
is "$(get huge_nonsync_eof)" "EOF" "... and the connection is closed"
like "$(get pre_capa)" 'STARTTLS' "STARTTLS offered"
like "$(get tls_capa)" 'AUTH=PLAIN' "after STARTTLS: AUTH=PLAIN"
is "$(get tls_login)" "OK" "after STARTTLS: LOGIN works"
like "$(get unterm_cont)" '^\+ ' "literal continuation before login"
is "$(get w_login)" "c1 OK" "login over imaps"
like "$(get w_deep)" '^c2 BAD' "10,000 parentheses after login: BAD"
like "$(get w_nul)" '^c3 BAD' "NUL in a command after login: BAD"
like "$(get w_huge)" '^c4 NO \[TOOBIG\]' "APPEND {4294967295}: NO [TOOBIG] before reading it"
like "$(get w_big_search)" '^c4b NO \[TOOBIG\]' "SEARCH with a 2 MB literal: NO [TOOBIG] (only APPEND takes big ones)"
like "$(get w_small_search)" '^\+ .* \| c4c OK' "STATUS with a small literal: taken"
like "$(get w_mutf7) $(get w_mutf7b)" '^c5 NO .* c6 NO ' "invalid or '/'-smuggling modified UTF-7: NO"
like "$(get w_uidbad) $(get w_noselect)" '^c7 BAD .* c8 BAD ' "UID NOOP and FETCH without a mailbox: BAD"
like "$(get w_long)" '^c9 BAD' "70,000-byte line: BAD"
is "$(get pipelined)" "1000" "1,000 pipelined NOOPs: 1,000 tagged OKs in order"
like "$(get w_huge_plus) $(get w_huge_plus_eof)" '^\* BYE .* EOF$' "{99999999999+} after login: BYE and close"
ok "no directory made by the bad names" test ! -e "$(maildir alice@example.org)/.&AC8-etc"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
