#!/bin/sh
# The maildrop lock after QUIT: a client that has read the QUIT answer
# finds the lock free (the session released it before answering, RFC
# 1939 6), so logging in again at once is never refused [IN-USE] by the
# session still on its way out.  20 rounds of QUIT, then at once a
# non-blocking flock of the lock file and a new login.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 3
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'Subject: one\n\nbody\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
MD=$(maildir alice@example.org)
cat >"$SB/t.py" <<'PYEOF'
import fcntl, os, poplib, sys
port, md = int(os.environ["P_POP3"]), sys.argv[1]
free = logins = 0
for i in range(20):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user("alice@example.org")
    try:
        p.pass_("alice-secret")
        logins += 1
    except poplib.error_proto as e:
        print("refused=%s" % e)
        p.quit()
        continue
    p.stat()
    p.quit()                    # returns once the answer is read
    try:
        fd = os.open(os.path.join(md, "tern-pop3.lock"), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        free += 1
    except OSError as e:
        print("held=%s" % e)
print("free=%d" % free)
print("logins=%d" % logins)
PYEOF
r=$(P_POP3=$P_POP3 "$PY" "$SB/t.py" "$MD" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get free)" 20 "after each QUIT answer the lock is already free"
is "$(get logins)" 20 "20 logins in a row, each right after the last QUIT: none refused"
ok "no crash or sanitizer report in the log" pop3_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
