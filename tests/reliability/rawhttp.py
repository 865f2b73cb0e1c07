"""A raw-socket HTTP/1.1 client: sends exactly the bytes given (non-UTF-8 included).

``requests`` and ``http.client`` refuse or re-encode what hostile-input tests must send
(control characters, bytes that are not UTF-8, repeated keys in odd orders), so these tests
write the request line and headers themselves. Loopback only: the sandbox and the callback
listener bind 127.0.0.1.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"


@dataclass
class RawResponse:
    """A parsed HTTP answer.

    Attributes:
        status: the status code (0 when no status line came back).
        reason: the reason phrase.
        headers: header names in lower case to their last value.
        body: the body bytes (chunked bodies decoded).
        raw: everything that was received.
    """

    status: int
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: bytes = b""

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, in lower case."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def build_request(
    method: bytes,
    target: bytes,
    *,
    host: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> bytes:
    """Return the bytes of one HTTP/1.1 request with ``Connection: close``."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + host.encode("ascii")]
    lines += [name + b": " + value for name, value in headers or []]
    if body or method.upper() in (b"POST", b"PUT", b"PATCH"):
        lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send_raw(port: int, data: bytes, *, timeout_s: float = 10.0, half_close: bool = False) -> bytes:
    """Send ``data`` to ``127.0.0.1:port`` and return everything received until close.

    With ``half_close`` the sending side is shut after ``data``, so a server waiting for
    the rest of a request line sees the end of the stream instead of waiting forever.
    """
    chunks = []
    with socket.create_connection((LOOPBACK, port), timeout=timeout_s) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            return b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse_response(raw: bytes, *, head_request: bool = False) -> RawResponse:
    """Parse the answer to one request (Content-Length, chunked, or read-until-close)."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return RawResponse(status=0, raw=raw)
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return RawResponse(status=0, raw=raw)
    reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    if head_request:
        body = b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(rest)
    elif "content-length" in headers:
        body = rest[: int(headers["content-length"])]
    else:
        body = rest
    return RawResponse(status=status, reason=reason, headers=headers, body=body, raw=raw)


def _dechunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";", 1)[0] or b"0", 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2 :]
    return b"".join(out)


def request(
    port: int,
    method: bytes,
    target: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    timeout_s: float = 10.0,
) -> RawResponse:
    """Send one request to ``127.0.0.1:port`` and return the parsed answer."""
    data = build_request(method, target, host=f"{LOOPBACK}:{port}", headers=headers, body=body)
    raw = send_raw(port, data, timeout_s=timeout_s)
    return parse_response(raw, head_request=method.upper() == b"HEAD")


def port_is_closed(port: int) -> bool:
    """Tell whether nothing accepts connections on ``127.0.0.1:port`` any more."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return False
    except OSError:
        return True
