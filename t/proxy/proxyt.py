# proxyt.py - helpers for the tern-proxy tests: ports from the
# environment (t/proxy/proxy.sh), plus t/imap/imapt.py's Raw client.
import base64, imaplib, os, poplib, socket, ssl, sys
from imapt import Raw, ctx, out

P = {k: int(os.environ.get(k, "0")) for k in
     ("P_IMAP", "P_POP3", "P_IMAPS", "P_POP3S", "P_IMAPB", "P_POP3B", "P_PXI", "P_PXIS", "P_PXP",
      "P_PXPS")}
USERS = {"alice": ("alice@example.org", "alice-secret"),
         "bob": ("bob@example.org", "bob secret")}
SECRET = "0123456789abcdef-proxy-master-secret"
imaplib._MAXLINE = 10000000


def imap(port, tls=False, host="127.0.0.1"):
    if tls:
        return imaplib.IMAP4_SSL(host, port, ssl_context=ctx(), timeout=30)
    return imaplib.IMAP4(host, port, timeout=30)


def pop(port, tls=False, host="127.0.0.1"):
    if tls:
        return poplib.POP3_SSL(host, port, context=ctx(), timeout=30)
    return poplib.POP3(host, port, timeout=30)


def plain(authz, authc, pw):
    return base64.b64encode(("%s\0%s\0%s" % (authz, authc, pw)).encode()).decode()


def capa(m):
    """The CAPABILITY list as the server says it now, as a sorted string."""
    typ, data = m.capability()
    return " ".join(sorted(data[0].decode().split()))
