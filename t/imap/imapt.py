# imapt.py - helpers for the tern-imapd tests (imported by the scripts
# the t/imap/*.t tests write): connections, logins, a raw line client.
import imaplib, os, socket, ssl, sys

PORT = int(os.environ.get("P_IMAP", "0"))
SPORT = int(os.environ.get("P_IMAPS", "0"))
USERS = {"alice": ("alice@example.org", "alice-secret"),
         "bob": ("bob@example.org", "bob secret")}
imaplib._MAXLINE = 10000000


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def out(k, v):
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    print("%s=%s" % (k, str(v).replace("\r", "\\r").replace("\n", "\\n")))
    sys.stdout.flush()


def login(who="alice", tls=False):
    if tls:
        m = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx(), timeout=30)
    else:
        m = imaplib.IMAP4("127.0.0.1", PORT, timeout=30)
    m.login(*USERS[who])
    return m


class Raw:
    """A line client: send bytes, read lines (no IMAP parsing)."""

    def __init__(self, port=None, tls=False):
        self.s = socket.create_connection(("127.0.0.1", port or PORT), 30)
        if tls:
            self.s = ctx().wrap_socket(self.s)
        self.f = self.s.makefile("rb")
        self.greet = self.line()

    def line(self):
        try:
            l = self.f.readline(1000000)
        except (OSError, socket.timeout) as e:
            return "ERR " + str(e)
        if not l:
            return "EOF"
        return l.decode("latin-1").rstrip("\r\n")

    def send(self, data):
        if isinstance(data, str):
            data = (data + "\r\n").encode()
        try:
            self.s.sendall(data)
        except OSError as e:
            return "ERR " + str(e)
        return ""

    def upto(self, tag):
        """Lines up to and including the one starting with tag."""
        ls = []
        while True:
            l = self.line()
            ls.append(l)
            if l.startswith(tag + " ") or l == "EOF" or l.startswith("ERR "):
                return ls

    def cmd(self, tag, c):
        self.send(tag + " " + c)
        return self.upto(tag)

    def last(self, tag, c):
        return self.cmd(tag, c)[-1]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass
