#!/usr/bin/python3
"""rfb-probe.py URL: opens a websocket to URL (ws://HOST:PORT/PATH?QUERY), speaks RFB 3.8 up to ServerInit with
no authentication, and prints the desktop name and screen size the server sends. Exits non-zero on
any deviation. A minimal RFC 6455 client of its own: websockify 0.10's client cannot send (it adds
an int to bytes when masking)."""

import base64
import os
import socket
import struct
import sys
import urllib.parse


class WebSocket:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: binary\r\n\r\n" % ((u.path or "/") + ("?" + u.query if u.query else ""),
                                                          u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = self.sock.recv(1)
            if not data:
                sys.exit("connection closed during the websocket handshake: %r" % head)
            head += data
        if not head.startswith(b"HTTP/1.1 101"):
            sys.exit("websocket handshake refused: %r" % head.split(b"\r\n")[0])
        self.pending = b""

    def _read(self, n):
        while len(self.pending) < n:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.pending += data
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def recv(self):
        """The payload of the next data frame, or None when the server closes."""
        while True:
            head = self._read(2)
            if head is None:
                return None
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack(">H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack(">Q", self._read(8))
            payload = self._read(length) if length else b""
            if opcode == 0x8:
                return None
            if opcode in (0x0, 0x1, 0x2):
                return payload

    def send(self, payload):
        """One binary frame; a client masks every frame (RFC 6455, 5.3)."""
        mask = os.urandom(4)
        header = bytes([0x82, 0x80 | len(payload)]) if len(payload) < 126 else \
            bytes([0x82, 0x80 | 126]) + struct.pack(">H", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


class Stream:
    """RFB bytes over websocket messages, which may split or join RFB messages anywhere."""

    def __init__(self, ws):
        self.ws = ws
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            data = self.ws.recv()
            if data is None:
                sys.exit("connection closed after %d of %d bytes" % (len(self.buf), n))
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def write(self, data):
        self.ws.send(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: rfb-probe.py ws://HOST:PORT/")
    rfb = Stream(WebSocket(sys.argv[1]))

    version = rfb.read(12)
    if version != b"RFB 003.008\n":
        sys.exit("unexpected protocol version %r" % version)
    rfb.write(b"RFB 003.008\n")
    (count,) = struct.unpack("B", rfb.read(1))
    types = rfb.read(count)
    if count == 0 or 1 not in types:
        sys.exit("the server offers no 'None' security type: %r" % types)
    rfb.write(b"\x01")
    (result,) = struct.unpack(">I", rfb.read(4))
    if result != 0:
        sys.exit("security handshake failed: %d" % result)
    rfb.write(b"\x01")  # ClientInit: shared
    width, height = struct.unpack(">HH", rfb.read(4))
    rfb.read(16)  # pixel format
    (length,) = struct.unpack(">I", rfb.read(4))
    name = rfb.read(length).decode("utf-8", "replace")
    print("%s %dx%d" % (name, width, height))


if __name__ == "__main__":
    main()
