"""The loopback callback listener under hostile and clumsy input (A3, A12).

It must bind only the loopback address, refuse a redirect with another login's ``state``
(CSRF guard), ignore a second redirect, survive junk (no query, a huge query, bytes that are
not HTTP, connections that send nothing), and always stop after success, denial or timeout.
Requests are sent over raw sockets, as a browser or a port scanner would.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adstudio_nb.callback import CallbackListener
from adstudio_nb.exceptions import AdStudioError, CallbackError, CallbackTimeout
from tests.reliability.leakguard import LeakGuard
from tests.reliability.rawhttp import port_is_closed, request, send_raw
from tests.reliability.scale import property_examples

STATE = "state-of-the-login-in-progress"
CODE = "AQ" + "Zx9-callback-canary-code-" * 3
STOP_WAIT_S = 10.0  # how long a stopping listener may take to close its port (not asserted)
MAX_CONNECTION_THREADS = 16  # the listener's cap on threads serving connections at once


def _get(port: int, target: str) -> int:
    return request(port, b"GET", target.encode("latin-1"), timeout_s=10).status


def _wait_closed(port: int) -> bool:
    done = threading.Event()
    for _ in range(int(STOP_WAIT_S / 0.05)):
        if port_is_closed(port):
            return True
        done.wait(0.05)
    return port_is_closed(port)


def _listening_addresses(port: int) -> set[str]:
    """Return the local addresses in LISTEN state on ``port`` (Linux /proc/net/tcp{,6})."""
    found = set()
    for name in ("tcp", "tcp6"):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(_decode_address(address))
    return found


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


@pytest.fixture
def listener(leak_guard: LeakGuard) -> CallbackListener:
    """A started listener on a free loopback port waiting for ``STATE``."""
    leak_guard.add_secret(CODE, "authorization code")
    started = CallbackListener(
        "http://127.0.0.1/callback", expected_state=STATE, timeout_s=120
    ).start()
    yield started
    started.stop()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux /proc/net/tcp")
def test_a12_binds_the_loopback_address_only(listener: CallbackListener) -> None:
    """A12: the only listening socket on the port is 127.0.0.1 (never 0.0.0.0)."""
    assert listener.port is not None
    assert _listening_addresses(listener.port) == {"127.0.0.1"}


@pytest.mark.parametrize(
    "uri",
    [
        "http://0.0.0.0/callback",
        "http://[::]/callback",
        "http://localhost/callback",
        "http://192.0.2.10/callback",
        "https://127.0.0.1/callback",
        "http://127.0.0.1:99999/callback",
        "http//127.0.0.1:8888/callback",
    ],
)
def test_a12_refuses_to_listen_beyond_loopback(uri: str) -> None:
    """A12: wildcard, named, remote or https addresses are refused before binding anything."""
    with pytest.raises(CallbackError) as caught:
        CallbackListener(uri, expected_state=STATE).start()
    message = str(caught.value)
    assert message and "\n" not in message


def test_a3_wrong_or_missing_state_is_refused_and_listening_goes_on(
    listener: CallbackListener,
) -> None:
    """A3: another login's state, no state, or a state+junk are refused; ours then succeeds."""
    port = listener.port
    assert port is not None
    for query in (
        f"code={CODE}&state=someone-elses",
        f"code={CODE}",
        f"code={CODE}&state={STATE}x",
        "error=access_denied&state=forged",
    ):
        assert _get(port, f"/callback?{query}") == 400
        assert not listener.done
    assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
    assert listener.wait(30).code == CODE


@pytest.mark.parametrize(
    "query",
    [
        f"code={CODE}&state={STATE}&state=other",
        f"code={CODE}&code=AQ-another-code-0123456789&state={STATE}",
    ],
)
def test_a3_repeated_state_or_code_is_refused(listener: CallbackListener, query: str) -> None:
    """A3: a redirect with two states or two codes is not Spotify's: refused, keep waiting.

    Spotify sends each once. ``auth``'s paste parser refuses such an address (two states:
    ``StateMismatch``; two codes: "damaged"); the listener must not accept what the next step
    then refuses, nor pick the first of two states (parameter pollution).
    """
    port = listener.port
    assert port is not None
    assert _get(port, f"/callback?{query}") == 400
    assert not listener.done


def test_a3_a_second_callback_is_ignored(listener: CallbackListener) -> None:
    """A3: after the first redirect, another (even with the right state) changes nothing."""
    port = listener.port
    assert port is not None
    assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
    first = listener.wait(30)
    try:
        status = _get(port, f"/callback?code=AQ-second-code-0123456789&state={STATE}")
    except OSError:
        status = 0  # already closed: ignored too
    assert status in (0, 410)
    assert listener.result is first and first.code == CODE


def test_junk_requests_do_not_crash_it(listener: CallbackListener) -> None:
    """No query, a huge query, non-HTTP bytes and silent connections leave it working."""
    port = listener.port
    assert port is not None
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)  # sends nothing
    try:
        assert _get(port, "/callback") == 400
        assert _get(port, "/callback?") == 400
        assert _get(port, "/favicon.ico") == 404
        assert _get(port, "/callback?" + "a=b&" * 2000) == 400
        huge = request(port, b"GET", b"/callback?code=" + b"x" * 100_000, timeout_s=10).status
        assert huge in (0, 400, 414, 431)
        for junk in (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),  # a TLS hello
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"\x00" * 1024,
            b"GET /callback?code=\xff\xfe&state=\xc3\x28 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /callback HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            b"GET / HTTP/9.9\r\n\r\n",
            b"\r\n\r\n\r\n",
        ):
            send_raw(port, junk, timeout_s=10, half_close=True)
            assert not listener.done
        assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
        assert listener.wait(30).code == CODE
    finally:
        silent.close()
    assert _wait_closed(port)


@settings(
    max_examples=property_examples(),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    junk=st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda q: b"GET /callback?" + q + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            st.binary(max_size=512).map(lambda b: b.replace(b" ", b"%20")),
        ),
        st.builds(
            lambda q: ("GET /callback?" + q + " HTTP/1.1\r\n\r\n").encode("utf-8", "replace"),
            st.text(max_size=256).filter(lambda t: " " not in t and "\n" not in t),
        ),
    )
)
def test_property_no_junk_finishes_or_kills_the_listener(
    listener: CallbackListener, junk: bytes
) -> None:
    """Whatever bytes arrive without our state, the listener keeps waiting and keeps serving."""
    port = listener.port
    assert port is not None
    send_raw(port, junk, timeout_s=10, half_close=True)
    assert not listener.done, "junk finished the login"
    assert not port_is_closed(port)


def test_after_the_junk_property_a_real_callback_still_works(listener: CallbackListener) -> None:
    """After a burst of junk, the real redirect is caught (the listener is not worn out)."""
    port = listener.port
    assert port is not None
    for i in range(200):
        send_raw(port, bytes([i % 256]) * (i * 7), timeout_s=10, half_close=True)
    assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
    assert listener.wait(30).code == CODE


def test_a3_stops_after_success(listener: CallbackListener) -> None:
    """A3: a code arrives: the result is kept, the thread ends and the port closes."""
    port = listener.port
    assert port is not None
    assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
    assert listener.wait(30).ok
    assert _wait_closed(port)
    assert listener.done


def test_a3_stops_after_denial(listener: CallbackListener) -> None:
    """A3: the user clicked Cancel: the refusal is the result and the port closes."""
    port = listener.port
    assert port is not None
    assert _get(port, f"/callback?error=access_denied&state={STATE}") == 200
    result = listener.wait(30)
    assert result.error == "access_denied" and result.code is None
    assert _wait_closed(port)


def test_stops_after_timeout() -> None:
    """No redirect in time: CallbackTimeout with a one-line message, and the port closes."""
    listener = CallbackListener(
        "http://127.0.0.1/callback", expected_state=STATE, timeout_s=0.2
    ).start()
    port = listener.port
    assert port is not None
    with pytest.raises(CallbackTimeout) as caught:
        listener.wait(30)
    assert isinstance(caught.value, AdStudioError)
    assert str(caught.value) and "\n" not in str(caught.value)
    assert _wait_closed(port)
    assert listener.done and listener.result is None


def _wait_until(predicate: Callable[[], bool], bound_s: float = 30.0) -> bool:
    """Poll ``predicate`` for at most ``bound_s`` seconds (a bound, not a timing assertion)."""
    pause = threading.Event()
    for _ in range(int(bound_s / 0.05)):
        if predicate():
            return True
        pause.wait(0.05)
    return predicate()


def test_idle_connections_get_bounded_threads_and_none_outlive_the_listener() -> None:
    """300 idle sockets: at most a handful of handler threads, and none after the listener ends.

    The sockets connect without blocking (the listener accepts them at its own pace) and never
    send a byte, as a port scanner or a stalled browser tab would.
    """
    baseline = {t.ident for t in threading.enumerate()}
    listener = CallbackListener(
        "http://127.0.0.1/callback", expected_state=STATE, timeout_s=120
    ).start()
    port = listener.port
    assert port is not None
    idle: list[socket.socket] = []
    peak = 0
    try:
        for _ in range(300):
            conn = socket.socket()
            conn.setblocking(False)
            conn.connect_ex(("127.0.0.1", port))
            idle.append(conn)
        # Let the listener accept what it will; record how many threads it runs meanwhile.
        for _ in range(40):
            peak = max(peak, len(_new_threads(baseline)))
            threading.Event().wait(0.05)
        assert peak <= MAX_CONNECTION_THREADS + 1, f"{peak} threads for 300 idle sockets"
        listener.stop()
        assert listener.done
        assert _wait_until(lambda: not _new_threads(baseline)), (
            f"{len(_new_threads(baseline))} threads still alive after the listener finished"
        )
    finally:
        for conn in idle:
            conn.close()
        listener.stop()


def _new_threads(baseline: set[int | None]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.ident not in baseline and t.is_alive()]


def test_the_redirect_gets_through_while_idle_connections_hold_the_threads() -> None:
    """Idle sockets fill every handler slot; they time out, and the real redirect is served."""
    listener = CallbackListener(
        "http://127.0.0.1/callback", expected_state=STATE, timeout_s=120, read_timeout_s=0.5
    ).start()
    port = listener.port
    assert port is not None
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
    try:
        assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
        assert listener.wait(30).code == CODE
    finally:
        for conn in idle:
            conn.close()
        listener.stop()


def test_a3_a_rebound_host_cannot_deliver_the_state(listener: CallbackListener) -> None:
    """A3, DNS rebinding: the right state under a foreign Host is refused and kept waiting for."""
    port = listener.port
    assert port is not None
    for host in (b"evil.example", b"evil.example:%d" % port, b"localhost:%d" % port):
        raw = send_raw(
            port,
            b"GET /callback?code="
            + CODE.encode()
            + b"&state="
            + STATE.encode()
            + b" HTTP/1.1\r\nHost: "
            + host
            + b"\r\nConnection: close\r\n\r\n",
            timeout_s=10,
        )
        assert raw.split(b" ", 2)[1] == b"400", host
        assert not listener.done
    assert _get(port, f"/callback?code={CODE}&state={STATE}") == 200
    assert listener.wait(30).code == CODE
