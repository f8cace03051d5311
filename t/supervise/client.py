#!/usr/bin/python3
"""Test client for tern-supervise tests (bounded: every socket has a timeout).

  client.py greet HOST PORT         print the greeting, then the echo of "ping"
  client.py hold HOST PORT N        open N connections (print each greeting),
                                    then one more: print what it gets and
                                    "EOF" if the server closed it
  client.py keep HOST PORT FILE     connect, write the greeting to FILE, then
                                    hold the connection until killed (60 s max)
"""
import socket, sys, time

def conn(host, port):
    s = socket.create_connection((host, int(port)), timeout=20)
    s.settimeout(20)
    return s

def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf.decode("ascii", "replace").rstrip("\r\n")

def main():
    cmd, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "greet":
        s = conn(host, port)
        print(line(s))
        s.sendall(b"ping\n")
        print("echo:" + line(s))
        s.close()
    elif cmd == "hold":
        held = []
        for i in range(int(sys.argv[4])):
            s = conn(host, port)
            print("held:" + line(s))
            held.append(s)
        s = conn(host, port)
        print("extra:" + line(s))
        try:
            rest = s.recv(100)
            print("EOF" if rest == b"" else "more:" + rest.decode("ascii", "replace"))
        except socket.timeout:
            print("still-open")
        for h in held:
            h.close()
        s.close()
    elif cmd == "keep":
        s = conn(host, port)
        with open(sys.argv[4], "w") as f:
            f.write(line(s) + "\n")
        end = time.time() + 60
        while time.time() < end:
            try:
                if s.recv(100) == b"":
                    break
            except socket.timeout:
                pass
    return 0

sys.exit(main())
