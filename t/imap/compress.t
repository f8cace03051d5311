#!/bin/sh
# COMPRESS=DEFLATE (RFC 4978) with tern-imapd: after "COMPRESS DEFLATE"
# both directions are raw deflate (Python's zlib with wbits=-15 plays the
# client: imaplib has no COMPRESS); commands, a big FETCH and IDLE work
# compressed, over plaintext and over TLS; input pipelined right after the
# command is read compressed; a second COMPRESS is NO [COMPRESSIONACTIVE];
# corrupt compressed input ends the session cleanly.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 15
imap_start || { echo "Bail out! set-up failed"; exit 1; }
MA=$(maildir alice@example.org); export MA
cat >"$SB/t.py" <<'PYEOF'
import os, shutil, socket, time, zlib
from imapt import *

class Z:
    """A raw IMAP client that can switch to COMPRESS=DEFLATE (reads the
    socket itself: bytes after the OK are compressed)."""
    def __init__(self, tls=False):
        self.s = socket.create_connection(("127.0.0.1", SPORT if tls else PORT), 30)
        if tls:
            self.s = ctx().wrap_socket(self.s)
        self.c = self.d = None
        self.buf = b""
        self.greet = self.line()
    def send(self, s):
        data = (s + "\r\n").encode() if isinstance(s, str) else s
        if self.c:
            data = self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH)
        self.s.sendall(data)
    def start(self, c=None):
        self.c = c or zlib.compressobj(6, zlib.DEFLATED, -15)
        self.d = zlib.decompressobj(-15)
        self.buf = self.d.decompress(self.buf)
    def line(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except OSError as e:
                return "ERR " + str(e)
            if not chunk:
                return "EOF"
            self.buf += self.d.decompress(chunk) if self.d else chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode("latin-1").rstrip("\r")
    def close(self):
        self.s.close()
    def upto(self, tag):
        ls = []
        for _ in range(100000):
            l = self.line()
            ls.append(l)
            if l.startswith(tag + " ") or l == "EOF" or l.startswith("ERR "):
                break
        return ls
    def cmd(self, tag, c):
        self.send(tag + " " + c)
        return self.upto(tag)

z = Z()
z.cmd("a1", 'LOGIN alice@example.org "alice-secret"')
out("capa", " | ".join(z.cmd("a0", "CAPABILITY")))
out("unknown", z.cmd("a2", "COMPRESS GZIP")[-1])
out("compress", z.cmd("a3", "COMPRESS DEFLATE")[-1])
z.start()
out("noop", z.cmd("a4", "NOOP")[-1])
out("again", z.cmd("a5", "COMPRESS DEFLATE")[-1])
out("select", z.cmd("a6", "SELECT INBOX")[-1])
ls = z.cmd("a7", "FETCH 1 BODY.PEEK[]")
out("fetch", "%s lines=%d last=%s" % (ls[0][:40], len(ls), ls[-1]))
out("fetch_body", str(sum(1 for l in ls if l.startswith("line ")) ))
z.send("a8 IDLE")
out("idle", z.line())
uid = os.stat(os.environ["MA"]).st_uid
t = os.path.join(os.environ["MA"], "tmp", "1800000000.M1P1.host")
with open(t, "w") as f:
    f.write("Subject: while idle\n\nhi\n")
os.chown(t, uid, -1)
os.rename(t, os.path.join(os.environ["MA"], "new", "1800000000.M1P1.host"))
out("idle_exists", z.line())
z.send("DONE")
out("done", z.upto("a8")[-1])
out("logout", " | ".join(z.cmd("a9", "LOGOUT")))

# Input pipelined right behind the command is compressed already.
z = Z()
z.cmd("b1", 'LOGIN alice@example.org "alice-secret"')
c = zlib.compressobj(6, zlib.DEFLATED, -15)
z.s.sendall(b"b2 COMPRESS DEFLATE\r\n" + c.compress(b"b3 NOOP\r\n") + c.flush(zlib.Z_SYNC_FLUSH))
out("pipe_ok", z.line())
z.start(c)
out("pipe_noop", z.upto("b3")[-1])
out("pipe_status", z.cmd("b4", "STATUS INBOX (MESSAGES)")[0])
z.close()

# Over TLS (the pre-auth child relays the compressed bytes).
z = Z(tls=True)
z.cmd("c1", 'LOGIN alice@example.org "alice-secret"')
out("tls_compress", z.cmd("c2", "COMPRESS DEFLATE")[-1])
z.start()
out("tls_list", " | ".join(z.cmd("c3", 'LIST "" "INBOX"')))
z.close()

# Corrupt compressed input: the session ends.
z = Z()
z.cmd("d1", 'LOGIN alice@example.org "alice-secret"')
z.cmd("d2", "COMPRESS DEFLATE")
z.start()
try:
    z.s.sendall(b"\xff\xff\xff\xff\x00\x12\x34\x56")
except OSError:
    pass
out("corrupt", z.line())
PYEOF
{
	printf 'Subject: big\n\n'
	i=0; while [ $i -lt 3000 ]; do echo "line $i of a long body"; i=$((i + 1)); done
} >"$SB/big"
put_mail alice@example.org 1700000001.M1P1.host "$SB/big"
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get capa)" 'COMPRESS=DEFLATE' "CAPABILITY: COMPRESS=DEFLATE"
like "$(get unknown)" '^a2 BAD' "COMPRESS of an unknown algorithm: BAD"
is "$(get compress)" "a3 OK DEFLATE active" "COMPRESS DEFLATE: OK, sent plain"
is "$(get noop)" "a4 OK NOOP completed" "a compressed command is answered compressed"
like "$(get again)" '^a5 NO \[COMPRESSIONACTIVE\]' "second COMPRESS: NO [COMPRESSIONACTIVE]"
like "$(get select)" '^a6 OK \[READ-WRITE\]' "SELECT compressed"
like "$(get fetch)" '^\* 1 FETCH \(BODY\[\] \{[0-9]+\}.*last=a7 OK' "big FETCH compressed"
is "$(get fetch_body)" "3000" "... every line of the body arrives"
is "$(get idle)" "+ idling" "IDLE compressed"
like "$(get idle_exists)" '^\* 2 EXISTS' "IDLE: a delivery is announced through the compressed stream"
is "$(get done)" "a8 OK IDLE completed" "DONE ends IDLE"
like "$(get logout)" '\* BYE.*a9 OK' "LOGOUT compressed"
is "$(get pipe_ok) $(get pipe_noop)" "b2 OK DEFLATE active b3 OK NOOP completed" "input pipelined after COMPRESS is inflated"
like "$(get tls_list)" 'LIST \(.*\) "/" INBOX \| c3 OK' "COMPRESS over TLS"
is "$(get corrupt)" "EOF" "corrupt compressed input ends the session"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
