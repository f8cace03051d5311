"""Raw SMTP/LMTP client pieces for the tern-smtpd tests (t/smtp/*.t).

Import it (sys.path has t/smtp) and talk to 127.0.0.1:PORT byte for byte,
so a test can pipeline, send bare CR/LF, NUL bytes or junk that smtplib
would refuse to send.  Every read has a timeout: no test can hang.
"""
import os
import socket
import ssl

TIMEOUT = 20


def tls_ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = ssl.TLSVersion.TLSv1_2
    return c


class Client:
    def __init__(self, port, tls=False, timeout=TIMEOUT):
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout)
        self.s.settimeout(timeout)
        if tls:
            self.s = tls_ctx().wrap_socket(self.s)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One whole reply: 'CODE text' lines joined with '|'."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                return "|".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def starttls(self):
        self.s = tls_ctx().wrap_socket(self.s)
        self.buf = b""

    def closed(self):
        """True when the server closed the connection (EOF)."""
        try:
            d = self.buf or self.s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return False
        return d == b""

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def port(name="P_SMTP"):
    return int(os.environ[name])
