#!/bin/sh
# tern-pop3d RETR and TOP of large messages, byte for byte: LF and CRLF
# line ends mixed, lines that start with a dot, a line longer than the
# worker's 64 KiB blocks, CRs inside lines and at block edges, a last line
# without its newline; the answer must equal a reference conversion (CRLF
# ends, dot-stuffing, the terminator); LIST and the +OK line give the CRLF
# size (no dot-stuffing counted).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 8
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
"$PY" - "$SB" <<'PYEOF'
import random, sys
sb = sys.argv[1]
rng = random.Random(5)
parts = [b"From: a@example.net\n", b"Subject: big\r\n", b"\n"]
for i in range(6000):
    k = rng.randrange(8)
    line = bytes(rng.choice(b"abcdefghij .\r") for _ in range(rng.randrange(0, 120)))
    if k == 0:
        line = b"." + line
    elif k == 1:
        line = b".."
    parts.append(line + (b"\r\n" if k == 2 else b"\n"))
    if i == 3000:
        parts.append(b"x" * 150000 + b"\r" + b"y" * 70000 + b"\n")
        parts.append(b"." + b"z" * 65535 + b"\n")
parts.append(b".last line without a newline")
open(sb + "/big", "wb").write(b"".join(parts))
# A second one: every line a dot line, ending in a bare LF.
open(sb + "/dots", "wb").write(b"Subject: dots\n\n" + b".\n" * 70000)
PYEOF
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/big"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/dots"
out=$("$PY" - "$SB" "$P_POP3" <<'PYEOF'
import socket, sys
sb, port = sys.argv[1], int(sys.argv[2])

def expect(data, top=None):
    """RFC 1939 conversion of a file: CRLF line ends, dot-stuffing."""
    out = []
    lines = data.split(b"\n")
    last = lines.pop()            # after the final LF: b"" or an unended line
    in_body = False; body = 0
    for ln in lines + ([last] if last else []):
        if top is not None and in_body and body >= top:
            break
        if ln.endswith(b"\r"):
            ln = ln[:-1]
        if ln.startswith(b"."):
            ln = b"." + ln
        out.append(ln + b"\r\n")
        if in_body:
            body += 1
        elif ln == b"":
            in_body = True
            if top == 0:
                break
    return b"".join(out) + b".\r\n"

def octets(data):
    """The size LIST and RETR give: CRLF line ends, no dot-stuffing."""
    n = len(data) + data.count(b"\n") - data.count(b"\r\n")
    return n if data.endswith(b"\n") else n + 2

s = socket.create_connection(("127.0.0.1", port), timeout=30)
f = s.makefile("rb")
def cmd(c):
    s.sendall(c + b"\r\n")
    return f.readline()
def multi():
    buf = b""
    while not buf.endswith(b"\r\n.\r\n"):
        ln = f.readline()
        if not ln:
            raise EOFError
        buf += ln
    return buf
f.readline()
cmd(b"USER alice@example.org")
print("pass", cmd(b"PASS alice-secret").startswith(b"+OK"))
sizes = {}
cmd(b"LIST")
for ln in multi().split(b"\r\n")[:-2]:
    n, sz = ln.split()
    sizes[int(n)] = int(sz)
for i, name in ((1, "big"), (2, "dots")):
    data = open("%s/%s" % (sb, name), "rb").read()
    st = cmd(b"RETR %d" % i)
    got = multi()
    want = expect(data)
    print("retr%d" % i, got == want, st == b"+OK %d octets\r\n" % octets(data))
    print("size%d" % i, sizes[i] == octets(data))
st = cmd(b"TOP 1 3005")
print("top", st.startswith(b"+OK"), multi() == expect(open(sb + "/big", "rb").read(), 3005))
cmd(b"QUIT")
PYEOF
)
note "$out"
like "$out" "pass True" "logged in"
like "$out" "retr1 True True" "RETR of the mixed message: the reference bytes, octet count in +OK"
like "$out" "size1 True" "LIST size of the mixed message: its CRLF size"
like "$out" "retr2 True True" "RETR of 70000 dot lines"
like "$out" "size2 True" "LIST size of the dot lines"
like "$out" "top True True" "TOP across the long lines"
ok "the worker logged the logout" wait_for 10 grep -q "logout account=alice@example.org retr=2" "$SB/log"
ok "nothing bad logged" pop3_clean_log
