"""The one redaction helper: Secret never prints, every reversible form of a secret is caught."""

from __future__ import annotations

import base64
import copy
import html
import json
import pickle
import string
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adstudio_nb import redaction
from adstudio_nb.redaction import (
    HIDDEN,
    Secret,
    SecretMatcher,
    basic_value,
    find_secrets,
    named_forms,
    redact,
    secret_forms,
)

CLIENT_ID = "5f0c8a5e1b2d4c6e8f0a1b2c3d4e5f60"
CLIENT_SECRET = "9a8b7c6d5e4f30211f2e3d4c5b6a7988"
ACCESS = "BQ" + "Dk3_x9-QwErTy7uIoP2aSdF" * 6
SHORT = "pw-1234!"  # eight characters: no partial runs, whole forms only

ORDINARY = (
    "Spotify Ads API onboarding. Logged in (sandbox) as alex.analyst. Your ad accounts: "
    "3 rows, currency_code EUR, budget_micros 125000000, status ACTIVE. "
    "<table><tr><td>Campaign 12</td><td>2024-06-01T00:00:00Z</td></tr></table> "
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk "
    "0123456789abcdef 9f86d081884c7d659a2feaa0c55ad015 https://api-partner.spotify.com/ads/v3"
)


def test_secret_never_shows_its_value() -> None:
    """str, repr, format, f-strings and containers show <hidden>; reveal() returns the value."""
    s = Secret(CLIENT_SECRET)
    shown = [str(s), repr(s), f"{s}", f"{s!r}", f"{s:>30}", str([s]), str({"k": s})]
    shown += ["%s %r" % (s, s), "{}".format(s)]  # noqa: UP031, UP032 (the old ways too)
    assert not [text for text in shown if CLIENT_SECRET in text]
    assert str(s) == HIDDEN and s.reveal() == CLIENT_SECRET


def test_secret_equality_hash_bool_and_unwrapping() -> None:
    """Equal by value, hashable, falsy when empty; a Secret of a Secret holds the value."""
    assert Secret("abc") == Secret("abc") and Secret("abc") != Secret("abd")
    assert Secret("abc") != "abc"  # a Secret is not its text: compare revealed values
    assert len({Secret("abc"), Secret("abc")}) == 1
    assert not Secret("") and Secret("x")
    assert Secret(Secret("abc")).reveal() == "abc"
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]


def test_secret_cannot_be_pickled_changed_or_leak_through_vars() -> None:
    """No pickling (a file in the clear), no mutation, copies stay hidden."""
    s = Secret(CLIENT_SECRET)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError) as caught:
            pickle.dumps(s, protocol=protocol)
        assert CLIENT_SECRET not in str(caught.value)
    with pytest.raises(AttributeError):
        s._value = "other"  # type: ignore[misc]
    assert copy.copy(s) is s and copy.deepcopy({"s": s})["s"] is s
    assert not hasattr(s, "__dict__")
    with pytest.raises(TypeError):
        json.dumps(s)


def test_basic_value_is_base64_of_id_colon_secret() -> None:
    """A6: the Basic credential of a token request."""
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert basic_value(CLIENT_ID, CLIENT_SECRET) == expected
    assert basic_value(Secret(CLIENT_ID), Secret(CLIENT_SECRET)) == expected


def _every_encoding(value: str) -> dict[str, str]:
    raw = value.encode()
    return {
        "raw": value,
        "upper": value.upper(),
        "lower": value.lower(),
        "quote": quote(value, safe=""),
        "quote_plus": quote_plus(value),
        "quote twice": quote(quote(value, safe=""), safe=""),
        "quote_plus twice": quote_plus(quote_plus(value)),
        "base64": base64.b64encode(raw).decode(),
        "base64 unpadded": base64.b64encode(raw).decode().rstrip("="),
        "urlsafe": base64.urlsafe_b64encode(raw).decode(),
        "urlsafe unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "encodebytes": base64.encodebytes(raw).decode(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "json": json.dumps(value)[1:-1],
        "html": html.escape(value),
    }


SECRET_WITH_SPECIALS = 'AQ/"quoted"+<b>&amp;=?' + "Zx8" * 20  # every escape changes it


@pytest.mark.parametrize("encoding", list(_every_encoding(SECRET_WITH_SPECIALS)))
def test_every_reversible_form_is_listed_and_redacted(encoding: str) -> None:
    """Each encoding of a secret is among its forms (whitespace aside) and is redacted."""
    value = SECRET_WITH_SPECIALS
    printed = _every_encoding(value)[encoding]
    forms = {"".join(f.split()) for f in secret_forms(value)}
    assert "".join(printed.split()) in forms
    text = f"log: {printed} (end)"
    cleaned = redact(text, [value])
    assert cleaned.startswith("log: ") and cleaned.endswith(" (end)")
    assert HIDDEN in cleaned
    assert not [f for f in secret_forms(value) if f.lower() in cleaned.lower()]
    assert find_secrets(text, {"refresh token": value})


def test_wrapped_basic_value_is_found_across_line_breaks() -> None:
    """base64.encodebytes wraps at 76 characters: the Basic value is caught across the break."""
    wrapped = base64.encodebytes(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert "\n" in wrapped.strip()
    basic = basic_value(CLIENT_ID, CLIENT_SECRET)
    text = f"Authorization: Basic {wrapped}done"
    cleaned = redact(text, [basic, CLIENT_SECRET])
    assert "".join(basic.split()) not in "".join(cleaned.split())
    assert cleaned.endswith("done")
    assert find_secrets(text, {"Basic value": basic}) == ["Basic value (split by whitespace)"]


def test_base64_of_a_longer_text_holding_the_secret_is_caught() -> None:
    """base64("Bearer " + token + ...) holds the token's base64 at some byte alignment."""
    for prefix in ("", "x", "xy", "Authorization: Bearer "):
        blob = base64.b64encode(f"{prefix}{ACCESS} trailing".encode()).decode()
        assert find_secrets(blob, {"access token": ACCESS}), prefix
        assert base64.b64decode(blob).decode().count(ACCESS) == 1
        cleaned = redact(blob, [ACCESS])
        assert HIDDEN in cleaned


@pytest.mark.parametrize("start", [0, 7, len(ACCESS) - 12])
def test_a_run_of_twelve_characters_of_a_long_secret_is_redacted(start: int) -> None:
    """A server echoing part of a token: 12 consecutive characters count as the secret."""
    part = ACCESS[start : start + 12]
    text = f"invalid token '{part}' (truncated)"
    assert redact(text, [ACCESS]) == f"invalid token '{HIDDEN}' (truncated)"
    assert find_secrets(text, {"access token": ACCESS}) == ["access token (raw, part)"]
    assert redact(f"error: {part.upper()}!", [ACCESS]) == f"error: {HIDDEN}!"


def test_eleven_characters_or_a_short_secret_are_not_runs() -> None:
    """Runs need 12 characters of a secret of 16 or more; short secrets match only whole."""
    assert redact(f"x {ACCESS[5:16]} y", [ACCESS]) == f"x {ACCESS[5:16]} y"
    assert redact(f"x {SHORT[:7]} y", [SHORT]) == f"x {SHORT[:7]} y"
    assert redact(f"x {SHORT} y", [SHORT]) == f"x {HIDDEN} y"


def test_no_false_positive_on_ordinary_text() -> None:
    """Prose, tables, hex ids, image data and URLs are left exactly as they are."""
    secrets = [CLIENT_SECRET, ACCESS, basic_value(CLIENT_ID, CLIENT_SECRET), SHORT]
    assert redact(ORDINARY, secrets) == ORDINARY
    assert find_secrets(ORDINARY, secrets) == []
    assert redact(ORDINARY, []) == ORDINARY


def test_find_names_never_values_and_prefers_the_exact_form() -> None:
    """Refusal messages name what was found ("client secret (upper case)"), not the value."""
    basic = basic_value(CLIENT_ID, CLIENT_SECRET)
    found = find_secrets(
        f"{CLIENT_SECRET.upper()} and {basic}",
        {"client secret": CLIENT_SECRET, "Basic value": basic},
    )
    assert found == ["Basic value", "client secret (upper case)"]
    assert find_secrets(CLIENT_SECRET, [CLIENT_SECRET]) == ["secret 1"]
    assert not [name for name in found if CLIENT_SECRET in name or basic in name]


def test_secret_objects_and_empty_values_are_accepted() -> None:
    """Secrets may be given as Secret; empty values are ignored, not matched everywhere."""
    assert redact(f"a {ACCESS} b", [Secret(ACCESS), ""]) == f"a {HIDDEN} b"
    assert redact("a b", {"unset": ""}) == "a b"
    assert redact(f"a {ACCESS}", [ACCESS], placeholder="[redacted]") == "a [redacted]"


def test_matcher_repr_and_forms_never_show_the_secret() -> None:
    """Even the compiled matcher prints no value."""
    assert ACCESS not in repr(SecretMatcher([ACCESS]))
    forms = named_forms("abcdefgh").values()
    assert all(len(form) >= redaction.MIN_FORM_LENGTH for form in forms)
    assert named_forms("abc") == {}  # every form of a 3-character value is too short to match


def test_adjacent_and_overlapping_secrets_leave_no_piece() -> None:
    """Two secrets side by side or overlapping are replaced as one region."""
    text = f"{ACCESS}{CLIENT_SECRET}|{ACCESS[:30]}{ACCESS[20:]}"
    cleaned = redact(text, [ACCESS, CLIENT_SECRET])
    assert cleaned == f"{HIDDEN}|{HIDDEN}"


_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_/+=.~:!"
_tokens = st.text(alphabet=_TOKEN_ALPHABET, min_size=16, max_size=80)


@settings(max_examples=150, deadline=None)
@given(
    secret=_tokens,
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    encoding=st.sampled_from(sorted(_every_encoding("x" * 16))),
)
def test_property_no_form_survives_redaction(
    secret: str, before: str, after: str, encoding: str
) -> None:
    """For any secret, any surrounding text and any encoding, no form survives redaction."""
    text = before + _every_encoding(secret)[encoding] + after
    cleaned = redact(text, [secret])
    folded = cleaned.lower()
    compact = "".join(folded.split())
    survivors = [
        name
        for name, form in named_forms(secret).items()
        if form.lower() in folded or "".join(form.lower().split()) in compact
    ]
    assert not survivors
    assert find_secrets(cleaned, [secret]) == []


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=string.ascii_letters + " .,;:!?'\n", max_size=300))
def test_property_ordinary_words_are_left_alone(text: str) -> None:
    """Text in words and punctuation never matches a token-like secret."""
    assert redact(text, [ACCESS, CLIENT_SECRET]) == text
