#!/bin/sh
# max_userip_connections behind tern-proxy (doc/proxy.md): the limit is
# the backend's, counted with the client's address the front end
# forwards (as Dovecot does), not the proxy's own (127.0.0.3).  With
# imap.max_userip_connections = 2 on backend A: alice through the proxy
# from 127.0.0.1 and alice directly from 127.0.0.1 fill her two slots;
# a third through the proxy from 127.0.0.1 gets NO [LIMIT] from the
# proxy and its connection goes on; through the proxy from 127.0.0.2 she
# is admitted; a LOGOUT frees a slot for the proxy again.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/proxy/proxy.sh"
sandbox
plan 8
echo "imap.max_userip_connections = 2" >"$SB/extra.conf"
proxy_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/u.py" <<'PYEOF'
import imaplib, os, socket, sys, time
pw = sys.argv[1]
pxi, imap = int(os.environ["P_PXI"]), int(os.environ["P_IMAP"])


def conn(port, src):
    class C(imaplib.IMAP4):
        def _create_socket(self, timeout):
            return socket.create_connection((self.host, self.port), timeout,
                                            source_address=(src, 0))
    return C("127.0.0.1", port, timeout=20)


def login(c, user="alice@example.org", p=pw):
    try:
        c.login(user, p)
        c.noop()
        return "ok"
    except imaplib.IMAP4.error as e:
        a = e.args[0] if e.args else ""
        return "no " + (a.decode() if isinstance(a, bytes) else str(a))


p1 = conn(pxi, "127.0.0.1"); print("proxied=%s" % login(p1))
d1 = conn(imap, "127.0.0.1"); print("direct=%s" % login(d1))
p2 = conn(pxi, "127.0.0.1"); print("third=%s" % login(p2))
print("goes_on=%s" % login(p2, "bob@example.org", "bob secret"))
p3 = conn(pxi, "127.0.0.2"); print("other_ip=%s" % login(p3))
d1.logout()
# The direct session's worker ends after its BYE: retry (bounded) until
# its slot is free, the condition asserted.
r = "none"
for i in range(200):
    p4 = conn(pxi, "127.0.0.1")
    r = login(p4)
    if r == "ok":
        break
    p4.logout()
    time.sleep(0.05)
print("freed=%s" % r)
for c in (p1, p2, p3, p4):
    try:
        c.logout()
    except Exception:
        pass
PYEOF
r=$(P_PXI=$P_PXI P_IMAP=$P_IMAP proxy_py "$SB/u.py" "$PW_ALICE")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get proxied)" "ok" "alice through the proxy from 127.0.0.1"
is "$(get direct)" "ok" "alice directly from 127.0.0.1"
like "$(get third)" "^no \[LIMIT\] Too many connections for this user from this address" "a third from 127.0.0.1 through the proxy: NO [LIMIT] (the backend counted the forwarded address)"
is "$(get goes_on)" "ok" "its connection goes on: bob logs in on it"
is "$(get other_ip)" "ok" "alice through the proxy from 127.0.0.2: admitted (not the proxy's address that counts)"
is "$(get freed)" "ok" "a LOGOUT frees a slot for the proxy again"
ok "backend log: the refusal with the client's address" log_wait 10 "refused user=alice@example.org ip=127.0.0.1 why=max_userip_connections max=2"
ok "no crash or sanitizer report in the log" proxy_clean_log
[ "$_tap_fail" = 0 ] || diag "$r"
done_testing
