"""Spotify's redirect-URI rules and their fix hints (A12, and the guide's defects, D)."""

from __future__ import annotations

import pytest

from adstudio_nb.config import Settings
from adstudio_nb.exceptions import RedirectURIError
from adstudio_nb.redirect_uris import (
    DEFAULT_REDIRECT_URI,
    GUIDE_REDIRECT_URI,
    PORTLESS_REDIRECT_URI,
    compare_redirect_uris,
    validate_redirect_uri,
)

CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET = "fedcba9876543210fedcba9876543210"


def _refusal(uri: object) -> RedirectURIError:
    with pytest.raises(RedirectURIError) as info:
        validate_redirect_uri(uri)
    return info.value


def test_the_default_is_the_port_less_loopback_uri_A12():
    """A12: the default is what every hint advises, so no advice contradicts the default."""
    assert DEFAULT_REDIRECT_URI == PORTLESS_REDIRECT_URI == "http://127.0.0.1/callback"
    assert validate_redirect_uri(PORTLESS_REDIRECT_URI) == PORTLESS_REDIRECT_URI


@pytest.mark.parametrize(
    "typo",
    [
        "http//localhost:8888/callback",  # the guide's text, verbatim (D)
        "http://localhost:8888/callback",  # the colon fixed, localhost kept
        "HTTP//localhost:8888/callback",
        "http//127.0.0.1:8888/callback",  # the host fixed, the colon still missing
        "http://localhost/callback",
        "http://LOCALHOST:8888/callback",
    ],
)
def test_the_guides_typos_get_the_port_less_uri_A12_D(typo):
    """D, A12: each form of the guide's callback is told to use the port-less URI.

    The suggestion is never ``http://127.0.0.1:8888/callback``: accepted by Spotify, it then
    fails in the notebook because Jupyter holds port 8888.
    """
    refused = _refusal(typo)
    message = str(refused)
    assert refused.suggestion == PORTLESS_REDIRECT_URI
    assert f"use {PORTLESS_REDIRECT_URI}" in message
    advice = message.replace(typo, "")  # the message quotes what was typed
    assert GUIDE_REDIRECT_URI not in advice and "127.0.0.1:8888" not in advice
    assert "any port" in message
    assert "\n" not in message and len(message) < 300
    # Following the hint works: the suggestion passes the same check.
    assert validate_redirect_uri(refused.suggestion) == PORTLESS_REDIRECT_URI


@pytest.mark.parametrize(
    "typo", ["http//localhost:8888/callback", "http://localhost:8888/callback"]
)
def test_the_hint_explains_that_8888_is_jupyters_port_D(typo):
    """D: the hint says why the port goes, so the guide's port is not put back."""
    message = str(_refusal(typo))
    assert "8888 is Jupyter's" in message


def test_the_missing_colon_is_named_D():
    """D: the guide's missing colon is named as such."""
    assert "colon" in str(_refusal("http//localhost:8888/callback"))


def test_another_path_is_kept_when_the_port_goes_A12():
    """A12: only the host and port change; the registered path stays the user's."""
    refused = _refusal("http://localhost:5000/auth/done")
    assert refused.suggestion == "http://127.0.0.1/auth/done"
    assert "8888" not in str(refused)


def test_localhost_is_refused_in_settings_too_A12():
    """A12: settings refuse localhost with the same hint."""
    with pytest.raises(RedirectURIError) as info:
        Settings.spotify(CLIENT_ID, SECRET, redirect_uri="http://localhost:8888/callback")
    assert info.value.suggestion == PORTLESS_REDIRECT_URI
    assert "localhost" in str(info.value)


def test_a_remote_missing_colon_is_only_given_its_colon_D():
    """D: a remote https URI with the colon missing keeps its host and port."""
    refused = _refusal("https//example.com:8443/cb")
    assert refused.suggestion == "https://example.com:8443/cb"


def test_http_on_a_remote_host_needs_https_A12():
    """A12: http only on the loopback IP literals."""
    refused = _refusal("http://example.com/callback")
    assert refused.suggestion == "https://example.com/callback"
    assert validate_redirect_uri("https://example.com/callback") == "https://example.com/callback"
    assert validate_redirect_uri("http://[::1]:8080/cb") == "http://[::1]:8080/cb"
    # Registered as the guide has it (corrected), it is valid: Spotify accepts it.
    assert validate_redirect_uri(GUIDE_REDIRECT_URI) == GUIDE_REDIRECT_URI


def test_port_zero_is_told_to_drop_the_port_A12():
    """A12: port 0 is not a port; without one any port is accepted."""
    assert _refusal("http://127.0.0.1:0/callback").suggestion == PORTLESS_REDIRECT_URI


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "   ",
        "callback",
        "ftp://127.0.0.1/callback",
        "http://127.0.0.1:notaport/callback",
        "http://127.0.0.1/call back",
        "http://127.0.0.1/callback#frag",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1/" + "x" * 3000,
        None,
        42,
    ],
)
def test_broken_redirect_uris_get_one_line_hints(uri):
    """A broken URI gets one line saying the fix, never a traceback."""
    message = str(_refusal(uri))
    assert "\n" not in message and len(message) < 300


def test_compare_redirect_uris_explains_the_difference_A12():
    """A12: exact comparison, except any port for a port-less loopback registration."""
    reg = GUIDE_REDIRECT_URI
    assert compare_redirect_uris(reg, reg) is None
    assert "trailing slash" in (compare_redirect_uris(reg + "/", reg) or "")
    assert "upper/lower case" in (
        compare_redirect_uris("http://127.0.0.1:8888/Callback", reg) or ""
    )
    assert "localhost" in (compare_redirect_uris("http://localhost:8888/callback", reg) or "")
    port = compare_redirect_uris("http://127.0.0.1:9999/callback", reg) or ""
    assert "port" in port and f"register {PORTLESS_REDIRECT_URI} without a port" in port
    assert "8888 is Jupyter's" in port
    assert compare_redirect_uris("http://127.0.0.1:5555/callback", PORTLESS_REDIRECT_URI) is None
    assert compare_redirect_uris("http://[::1]:5555/cb", "http://[::1]/cb") is None
    assert "port" in (
        compare_redirect_uris("https://a.example/cb", "https://a.example:444/cb") or ""
    )
    assert "exactly" in (compare_redirect_uris("https://a.example/x", "https://b.example/y") or "")
    with pytest.raises(RedirectURIError):
        compare_redirect_uris(None, reg)


@pytest.mark.parametrize(
    "uri",
    [
        "http//localhost:8888/callback",
        "http://localhost:8888/callback",
        "http://example.com/callback",
        "http://127.0.0.1:0/callback",
        "",
    ],
)
def test_hints_carry_no_internal_behaviour_ids(uri):
    """Hints are for people: the behaviour ids of the project's notes stay out of them."""
    import re

    assert not re.search(r"\b[A-D]\d{1,2}\b", str(_refusal(uri)))
    compared = compare_redirect_uris("http://127.0.0.1:9999/callback", GUIDE_REDIRECT_URI) or ""
    assert not re.search(r"\b[A-D]\d{1,2}\b", compared)
