#!/bin/sh
# Regression: NUL bytes in a stored message (SMTP lets them through)
# went out raw inside "{n}" literals, which RFC 3501 forbids (CHAR8 is
# %x01-ff) and which clients that parse with C strings cut short.  Each
# NUL is now sent as 0x80 (the size stays the same, as Dovecot does) in
# BODY[], BODY[TEXT], BODY[HEADER.FIELDS] and ENVELOPE; BINARY[] still
# gives the true bytes, as literal8.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 5
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: x\000y\001\nTo: b@example.org\n\na\000b\n' \
    >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
cat >"$SB/t.py" <<'PYEOF'
import socket, ssl
from imapt import *
s = ssl.create_default_context()
s.check_hostname = False
s.verify_mode = ssl.CERT_NONE
c = s.wrap_socket(socket.create_connection(("127.0.0.1", SPORT), 30))
def ask(tag, cmd):
    c.sendall(("%s %s\r\n" % (tag, cmd)).encode())
    buf = b""
    while not (buf.startswith(tag.encode() + b" ") or
        (b"\r\n" + tag.encode() + b" ") in buf) or not buf.endswith(b"\r\n"):
        d = c.recv(65536)
        if not d:
            break
        buf += d
    return buf
ask("a1", "LOGIN alice@example.org alice-secret")
ask("a2", "EXAMINE INBOX")
def has(k, got, want):
    out(k, want in got and b"\0" not in got)
    if want not in got:
        out(k + "_got", got)
has("body", ask("a3", "FETCH 1 (RFC822.SIZE BODY[])"),
    b"RFC822.SIZE 62 BODY[] {62}\r\nFrom: a@example.net\r\n"
    b"Subject: x\x80y\x01\r\nTo: b@example.org\r\n\r\na\x80b\r\n)")
has("text", ask("a4", "FETCH 1 (BODY[TEXT])"), b"BODY[TEXT] {5}\r\na\x80b\r\n)")
has("fields", ask("a5", "FETCH 1 (BODY[HEADER.FIELDS (Subject)])"),
    b"{17}\r\nSubject: x\x80y\x01\r\n")
has("env", ask("a6", "FETCH 1 (ENVELOPE)"), b"ENVELOPE (NIL {4}\r\nx\x80y\x01 ")
out("bin", b"BINARY[1] ~{5}\r\na\0b\r\n)" in ask("a7", "FETCH 1 (BINARY[1])"))
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get body)" True "BODY[]: NUL sent as 0x80, size unchanged" || diag "$r"
is "$(get text)" True "BODY[TEXT]: NUL sent as 0x80"
is "$(get fields)" True "BODY[HEADER.FIELDS]: NUL sent as 0x80"
is "$(get env)" True "ENVELOPE: NUL in a literal sent as 0x80"
is "$(get bin)" True "BINARY[1]: the true bytes as literal8"
