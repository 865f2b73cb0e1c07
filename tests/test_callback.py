"""The loopback listener catches the redirect over real HTTP (A3, A12)."""

from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from adstudio_nb.callback import CallbackListener, CallbackResult
from adstudio_nb.exceptions import CallbackError, CallbackPortInUse, CallbackTimeout

CODE = "AQ" + "c0de" * 10


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=5, allow_redirects=False)


def test_portless_uri_picks_a_free_port_and_catches_the_code_A12_A3(caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[CallbackListener] = []
    with CallbackListener(
        "http://127.0.0.1/callback", expected_state="st-1", on_result=seen.append
    ) as listener:
        port = urlsplit(listener.redirect_uri).port
        assert port and port == listener.port
        assert listener.redirect_uri == f"http://127.0.0.1:{port}/callback"
        assert not listener.done and listener.result is None
        page = _get(f"{listener.redirect_uri}?code={CODE}&state=st-1")
        assert page.status_code == 200
        assert "You can close this tab" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
        result = listener.wait(10)
    assert result.ok and result.code == CODE and result.state == "st-1"
    assert result.url.startswith(listener.redirect_uri + "?")
    assert CODE not in repr(result)
    assert listener.done and listener.error is None
    assert seen == [listener]  # the hook ran exactly once
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("adstudio_nb")]
    assert ours  # the listener did log its steps (urllib3's lines are the test's browser)
    assert not any(CODE in m or "st-1" in m for m in ours)
    with pytest.raises(requests.ConnectionError):  # shut down after success
        _get(listener.redirect_uri)


def test_fixed_port_is_used_as_given_A12():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CallbackListener(f"http://127.0.0.1:{port}/cb/", expected_state="s") as listener:
        assert listener.redirect_uri == f"http://127.0.0.1:{port}/cb/"
        assert _get(f"http://127.0.0.1:{port}/cb?code={CODE}&state=s").status_code == 404
        _get(f"http://127.0.0.1:{port}/cb/?code={CODE}&state=s")
        assert listener.wait(10).code == CODE


def test_wrong_state_is_refused_and_the_listener_keeps_waiting_A3():
    with CallbackListener("http://127.0.0.1/callback", expected_state="mine") as listener:
        forged = _get(f"{listener.redirect_uri}?code={CODE}&state=theirs")
        assert forged.status_code == 400
        assert "not the one" in forged.text
        missing = _get(f"{listener.redirect_uri}?code={CODE}")
        assert missing.status_code == 400
        polluted = _get(f"{listener.redirect_uri}?code={CODE}&state=mine&state=theirs")
        assert polluted.status_code == 400
        two_codes = _get(f"{listener.redirect_uri}?code={CODE}&code=AQother&state=mine")
        assert two_codes.status_code == 400
        assert not listener.done
        _get(f"{listener.redirect_uri}?code={CODE}&state=mine")
        assert listener.wait(10).state == "mine"


def test_state_set_after_start_for_a_picked_port_A12():
    with CallbackListener("http://127.0.0.1/callback") as listener:
        early = _get(f"{listener.redirect_uri}?code={CODE}&state=later")
        assert early.status_code == 400  # nothing is accepted before the state is known
        listener.expected_state = "later"
        _get(f"{listener.redirect_uri}?code={CODE}&state=later")
        assert listener.wait(10).ok


def test_unrelated_requests_get_404_and_are_ignored():
    with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
        base = f"http://127.0.0.1:{listener.port}"
        assert _get(base + "/favicon.ico").status_code == 404
        assert _get(base + "/").status_code == 404
        assert _get(base + "/callback/extra?code=x&state=s").status_code == 404
        assert requests.post(listener.redirect_uri, timeout=5).status_code == 404
        no_code = _get(listener.redirect_uri + "?state=s")
        assert no_code.status_code == 400
        assert not listener.done


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /callback?code=SECRETCODE1234567&state=s HTTP/1.1 extra\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS hello to an http port
    ],
)
def test_malformed_requests_are_refused_quietly(raw, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as conn:
            conn.sendall(raw)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096):
                pass
        assert not listener.done
        _get(f"{listener.redirect_uri}?code={CODE}&state=s")
        assert listener.wait(10).ok
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "SECRETCODE" not in err + out
    assert not any("SECRETCODE" in r.getMessage() for r in caplog.records)


def _raw(port: int, host_lines: bytes, query: str, path: str = "/callback") -> int:
    """Send one GET with the given Host line(s) over a raw socket; return the status (0: none)."""
    request = (
        f"GET {path}?{query} HTTP/1.1\r\n".encode() + host_lines + b"Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def test_a_foreign_host_is_refused_and_the_login_goes_on_A3():
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends our state in vain."""
    with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
        port = listener.port
        assert port is not None
        query = f"code={CODE}&state=s"
        for host in (
            f"evil.example:{port}",
            "evil.example",
            f"localhost:{port}",  # A12: the name localhost is not a valid redirect host
            "127.0.0.1",  # the port is part of the origin
            f"127.0.0.1:{port + 1}",
            f"127.0.0.2:{port}",
            f"127.0.0.1:{port}.evil.example",
        ):
            refused = requests.get(
                f"{listener.redirect_uri}?{query}", headers={"Host": host}, timeout=5
            )
            assert refused.status_code == 400, host
            assert "address" in refused.text and CODE not in refused.text
            assert not listener.done
        assert _raw(port, b"", query) == 400  # no Host at all
        two = f"Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n".encode()
        assert _raw(port, two, query) == 400
        assert not listener.done
        assert _raw(port, f"Host: 127.0.0.1:{port}\r\n".encode(), query) == 200
        assert listener.wait(10).code == CODE


def test_both_loopback_literals_of_the_bound_port_are_accepted_A12():
    for accepted in ("127.0.0.1", "[::1]"):
        with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
            port = listener.port
            assert port is not None
            host = f"Host: {accepted}:{port}\r\n".encode()
            assert _raw(port, host, f"code={CODE}&state=s") == 200
            assert listener.wait(10).ok


def test_a_fixed_port_registration_accepts_its_own_host():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CallbackListener(f"http://127.0.0.1:{port}/cb", expected_state="s") as listener:
        query = f"code={CODE}&state=s"
        assert _raw(port, b"Host: evil.example\r\n", query, "/cb") == 400
        assert _raw(port, f"Host: 127.0.0.1:{port}\r\n".encode(), query, "/cb") == 200
        assert listener.wait(10).code == CODE


def test_an_idle_connection_is_closed_after_the_read_timeout():
    """A connection that sends nothing is dropped after ``read_timeout_s``, not kept forever."""
    with CallbackListener(
        "http://127.0.0.1/callback", expected_state="s", read_timeout_s=0.5
    ) as listener:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as idle:
            try:
                closed = idle.recv(1) == b""
            except TimeoutError:
                closed = False
            except ConnectionResetError:
                closed = True
        assert closed, "the listener kept an idle connection open"
        assert not listener.done
        _get(f"{listener.redirect_uri}?code={CODE}&state=s")
        assert listener.wait(10).ok


def test_denial_page_and_result_A3():
    with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
        page = _get(f"{listener.redirect_uri}?error=access_denied&state=s")
        assert page.status_code == 200
        assert "Cancel" in page.text
        result = listener.wait(10)
    assert not result.ok
    assert result.error == "access_denied" and result.code is None
    assert "access_denied" in repr(result)


def test_timeout_finishes_with_callback_timeout():
    seen: list[CallbackListener] = []
    listener = CallbackListener(
        "http://127.0.0.1/callback", expected_state="s", timeout_s=0.2, on_result=seen.append
    ).start()
    with pytest.raises(CallbackTimeout, match="No redirect arrived"):
        listener.wait()
    assert listener.done and isinstance(listener.error, CallbackTimeout)
    assert listener.result is None
    assert seen == [listener]


def test_wait_with_its_own_timeout_stops_the_listener():
    listener = CallbackListener("http://127.0.0.1/callback", expected_state="s").start()
    with pytest.raises(CallbackTimeout):
        listener.wait(0.05)
    assert listener.done
    with pytest.raises(requests.ConnectionError):
        _get(listener.redirect_uri)


def test_port_in_use_names_the_alternatives_D():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        listener = CallbackListener(f"http://127.0.0.1:{port}/callback", expected_state="s")
        with pytest.raises(CallbackPortInUse) as info:
            listener.start()
    assert info.value.port == port
    message = str(info.value)
    assert "http://127.0.0.1/callback" in message and "paste" in message
    assert "8888" in message and "\n" not in message


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/callback",
        "http://localhost:8888/callback",
        "http://192.168.1.2:8888/callback",
        "not a url",
        "http://127.0.0.1:99999/callback",
    ],
)
def test_only_loopback_http_uris_can_be_listened_on_A12(uri):
    with pytest.raises(CallbackError) as info:
        CallbackListener(uri, expected_state="s")
    assert "\n" not in str(info.value)


def test_stop_before_a_redirect():
    listener = CallbackListener("http://127.0.0.1/callback", expected_state="s").start()
    listener.stop()
    assert listener.done
    with pytest.raises(CallbackError, match="stopped"):
        listener.wait()
    with pytest.raises(CallbackError, match="not running"):
        CallbackListener("http://127.0.0.1/callback", expected_state="s").wait(0.01)


def test_second_redirect_after_success_gets_gone_page():
    with CallbackListener("http://127.0.0.1/callback", expected_state="s") as listener:
        url = f"{listener.redirect_uri}?code={CODE}&state=s"
        # Two browsers' requests in flight at once: the first finishes the login.
        answers: list[int] = []
        threads = [threading.Thread(target=lambda: answers.append(_get(url).status_code))]
        threads[0].start()
        threads[0].join(10)
        assert listener.wait(10).ok
    assert answers == [200]


def test_ipv6_loopback_when_available_A12():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("::1 is not configured on this machine")
    with CallbackListener("http://[::1]/callback", expected_state="s") as listener:
        assert listener.redirect_uri.startswith("http://[::1]:")
        _get(f"{listener.redirect_uri}?code={CODE}&state=s")
        assert listener.wait(10).code == CODE


def test_result_repr_hides_the_code():
    result = CallbackResult(url=f"http://127.0.0.1/cb?code={CODE}", code=CODE, state="s")
    assert CODE not in repr(result) and CODE not in str(result)
