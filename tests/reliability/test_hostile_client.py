"""Hostile input to the client side: only ``AdStudioError``, one-line messages, no secrets.

Properties over what users paste and configure and what servers send back:

* the redirect paste parser (``auth``, A3): any text, URLs with repeated, missing or foreign
  ``code``/``state``/``error`` parameters;
* settings validation (``config``): any field values, any environment and ``.env`` file;
* the DataFrame loaders (``frames``): real sandbox pages made partial (keys dropped), extended
  (extra keys) or malformed (wrong types, truncated or damaged JSON text);
* the Ads client (``client``, B9-B11): a server answering any status, headers and body.

Each raises nothing but :class:`~adstudio_nb.exceptions.AdStudioError` subclasses, whose
messages are non-empty single lines that never quote a code, secret or token given to them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from adstudio_nb import endpoints, frames
from adstudio_nb.ads import Ads
from adstudio_nb.auth import LoginRequest, OAuthFlow
from adstudio_nb.client import AdsClient, RetryPolicy, StaticToken, error_from_response
from adstudio_nb.config import Settings, load_settings
from adstudio_nb.exceptions import AdStudioError
from adstudio_nb.pacing import GENERAL, Pacer
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.token_store import MemoryTokenStore
from tests.helpers import access_token
from tests.reliability import strategies
from tests.reliability.leakguard import LeakGuard
from tests.reliability.scale import property_examples

CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET_CANARY = "5ec7e7ca9a7ad00dfeedfacecafebeef"  # 32 hex: shaped like a real secret
CODE_CANARY = "AQ" + "CanaryCode-DoNotLeak_" * 4
TOKEN_CANARY = "BQ" + "CanaryAccessToken-DoNotLeak_" * 4
STATE = "state-of-this-login-0123"
FLOW = OAuthFlow(Settings.spotify(CLIENT_ID, SECRET_CANARY), store=MemoryTokenStore())
LOGIN = LoginRequest(
    url="https://accounts.spotify.com/authorize?x=1",
    redirect_uri="http://127.0.0.1:8888/callback",
    state=STATE,
    code_verifier=None,
    client_id=CLIENT_ID,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
SETTINGS = settings(
    max_examples=property_examples(),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
CANARIES = (SECRET_CANARY, CODE_CANARY, TOKEN_CANARY)


def check_error(exc: AdStudioError, guard: LeakGuard | None = None) -> None:
    """A user-facing error: a non-empty single line quoting no canary."""
    message = str(exc)
    assert message.strip(), f"empty message: {type(exc).__name__}"
    assert "\n" not in message and "\r" not in message, repr(message)
    for canary in CANARIES:
        assert canary not in message and canary not in repr(exc), (type(exc).__name__, message)
    if guard is not None:
        guard.note(exc)


def only_adstudio_errors(call: Callable[[], Any], guard: LeakGuard | None = None) -> Any:
    """Run ``call``; return its value, or None after an ``AdStudioError`` (checked)."""
    try:
        return call()
    except AdStudioError as exc:
        check_error(exc, guard)
        return None


json_values = strategies.json_values()


# -- the paste parser (auth, A3) --------------------------------------------------------------


@st.composite
def pasted_redirects(draw: st.DrawFn) -> str:
    """Return something a user might paste after consent, sometimes holding the canary code."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.text(max_size=300))
    if kind == 1:
        pad = draw(st.sampled_from(["", " ", "\t", "\n", "\u2028", "\x00"]))
        return pad + CODE_CANARY + draw(st.sampled_from(["", " ", "\n", "&", "#"]))
    keys = ["code", "state", "error", "error_description", "client_id", "scope", "x"]
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(keys),
                st.one_of(
                    st.just(CODE_CANARY),
                    st.just(STATE),
                    st.just("access_denied"),
                    st.text(max_size=30),
                ),
            ),
            max_size=6,
        )
    )
    query = "&".join(
        f"{k}={requests.utils.quote(v, safe='') if draw(st.booleans()) else v}" for k, v in pairs
    )
    base = draw(
        st.sampled_from(
            [
                "http://127.0.0.1:8888/callback",
                "http//localhost:8888/callback",
                "https://example.com/cb",
                "",
                "127.0.0.1:8888/callback",
            ]
        )
    )
    sep = draw(st.sampled_from(["?", "#", "?#", ""]))
    return base + sep + query + draw(st.sampled_from(["", "#frag", " ", "\n"]))


@SETTINGS
@given(text=pasted_redirects())
def test_a3_paste_parser_raises_only_adstudio_errors(text: str, leak_guard: LeakGuard) -> None:
    """A3: any paste gives a code found in it, or a one-line AdStudioError without the code."""
    code = only_adstudio_errors(lambda: FLOW.parse_redirect(text, LOGIN), leak_guard)
    if code is not None:
        assert isinstance(code, str) and code in text


# -- settings (config) --------------------------------------------------------------------------

_field_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            CLIENT_ID,
            "http://127.0.0.1:8888/callback",
            "http//localhost:8888/callback",
            "https://accounts.spotify.com/api/token",
            "sandbox",
            "spotify",
            "custom",
            "memory",
            "file",
            "",
        ]
    ),
    st.none(),
    st.booleans(),
    st.integers(),
    st.binary(max_size=10),
    st.builds(Path, st.text(max_size=20)),
)
# The secret canary only ever goes where a secret belongs: what a user types into another
# field (a redirect URI) is not known to be secret and may be quoted back.
_secrets = st.one_of(
    _field_values,
    st.sampled_from(
        [
            SECRET_CANARY,
            " " + SECRET_CANARY + "\n",
            "Basic " + SECRET_CANARY,
            SECRET_CANARY + "x",
            SECRET_CANARY[:-1],
            SECRET_CANARY.upper() + " ",
        ]
    ),
)
SETTING_FIELDS = [
    "redirect_uri",
    "scope",
    "authorize_url",
    "token_url",
    "api_base_url",
    "target",
    "profile",
    "token_dir",
    "use_pkce",
    "dashboard_url",
    "token_storage",
]


@SETTINGS
@given(
    client_id=_field_values,
    client_secret=_secrets,
    others=st.dictionaries(st.sampled_from(SETTING_FIELDS), _field_values, max_size=6),
)
def test_settings_validation_raises_only_configuration_errors(
    client_id: Any, client_secret: Any, others: dict[str, Any], leak_guard: LeakGuard
) -> None:
    """Any field values: a valid Settings, or a one-line AdStudioError that hides the secret."""
    result = only_adstudio_errors(
        lambda: Settings(client_id=client_id, client_secret=client_secret, **others), leak_guard
    )
    if result is not None:
        assert SECRET_CANARY not in repr(result) and SECRET_CANARY not in str(result)


ENV_NAMES = [
    "ADSTUDIO_CLIENT_ID",
    "ADSTUDIO_REDIRECT_URI",
    "ADSTUDIO_SCOPE",
    "ADSTUDIO_TARGET",
    "ADSTUDIO_AUTHORIZE_URL",
    "ADSTUDIO_TOKEN_URL",
    "ADSTUDIO_API_BASE_URL",
    "ADSTUDIO_TOKEN_DIR",
    "ADSTUDIO_PROFILE",
    "ADSTUDIO_USE_PKCE",
]
_env_values = st.one_of(
    st.text(max_size=40).filter(lambda t: "\x00" not in t),
    _field_values.filter(lambda v: isinstance(v, str)),
)
_env_pairs = st.one_of(
    st.tuples(st.sampled_from(ENV_NAMES), _env_values),
    st.tuples(st.just("ADSTUDIO_CLIENT_SECRET"), _secrets.filter(lambda v: isinstance(v, str))),
)


@SETTINGS
@given(
    environ=st.lists(_env_pairs, max_size=6).map(dict),
    env_file=st.one_of(
        st.binary(max_size=300),
        st.lists(_env_pairs, max_size=5).map(
            lambda kv: "\n".join(f"{k}={v}" for k, v in kv).encode("utf-8", "surrogatepass")
        ),
    ),
)
def test_load_settings_raises_only_configuration_errors(
    environ: dict[str, str], env_file: bytes, tmp_path: Path, leak_guard: LeakGuard
) -> None:
    """Any environment and .env file: settings, or a one-line AdStudioError (no secret in it)."""
    path = tmp_path / "fuzz.env"
    path.write_bytes(env_file)
    # A stand-alone sandbox URL where nothing listens: the "sandbox" target fails fast instead
    # of starting an in-process sandbox.
    env = {**environ, "ADSTUDIO_SANDBOX_URL": "http://127.0.0.1:9"}
    only_adstudio_errors(lambda: load_settings(environ=env, env_file=path), leak_guard)


# -- frames loaders ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    """Real pages of every kind, as the sandbox sends them (B1-B8)."""
    with Sandbox(seed=0, rate_limits="off") as sb:
        headers = {"Authorization": f"Bearer {access_token(sb)}"}

        def get(path: str, **params: Any) -> Any:
            answer = requests.get(
                sb.api_base_url + path, params=params, headers=headers, timeout=30
            )
            assert answer.status_code == 200, answer.text
            return answer.json()

        businesses = get("/businesses")
        accounts = get(f"/businesses/{businesses['businesses'][0]['id']}/ad_accounts")
        account = accounts["ad_accounts"][0]["id"]
        base = f"/ad_accounts/{account}"
        campaigns = get(base + "/campaigns", limit=5)
        return {
            "businesses": businesses,
            "ad_accounts": accounts,
            "campaigns": campaigns,
            "ad_sets": get(base + "/ad_sets", limit=5),
            "ads": get(base + "/ads", limit=5),
            "report": get(
                base + "/aggregate_reports",
                entity_type="CAMPAIGN",
                fields=["IMPRESSIONS", "CLICKS", "SPEND", "LEADS", "CTR"],
                granularity="LIFETIME",
                limit=5,
            ),
            "totals": get(
                base + "/aggregate_reports/totals",
                entity_type="CAMPAIGN",
                entity_ids=[c["id"] for c in campaigns["campaigns"][:3]],
                fields=["IMPRESSIONS", "REACH"],
                granularity="LIFETIME",
            ),
        }


LOADERS: dict[str, Callable[[Any], pd.DataFrame]] = {
    "businesses": frames.businesses_frame,
    "ad_accounts": frames.ad_accounts_frame,
    "campaigns": frames.campaigns_frame,
    "ad_sets": frames.ad_sets_frame,
    "ads": frames.ads_frame,
    "report": lambda page: frames.report_frame([page]),
    "totals": frames.totals_frame,
}
EMPTY: dict[str, Callable[[], pd.DataFrame]] = {
    "businesses": lambda: frames.businesses_frame([]),
    "ad_accounts": lambda: frames.ad_accounts_frame([]),
    "campaigns": lambda: frames.campaigns_frame([]),
    "ad_sets": lambda: frames.ad_sets_frame([]),
    "ads": lambda: frames.ads_frame([]),
}


def _mutate(draw: st.DrawFn, value: Any, *, drop: bool, extra: bool, retype: bool) -> Any:
    """Drop keys, add keys, or change value types, recursively."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if drop and key not in ("rows", "stats") and draw(st.integers(0, 3)) == 0:
                continue
            out[key] = _mutate(draw, item, drop=drop, extra=extra, retype=retype)
        if extra and draw(st.booleans()):
            out[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        return out
    if isinstance(value, list):
        return [_mutate(draw, item, drop=drop, extra=extra, retype=retype) for item in value]
    if retype and draw(st.integers(0, 5)) == 0:
        return draw(json_values)
    return value


@SETTINGS
@given(kind=st.sampled_from(sorted(EMPTY)), data=st.data())
def test_frames_take_partial_and_extra_field_objects(
    samples: dict[str, Any], kind: str, data: st.DataObject
) -> None:
    """B2: objects with keys missing or added load: the spec's columns, one row per object."""
    page = _mutate(data.draw, samples[kind], drop=True, extra=True, retype=False)
    if not isinstance(page.get(kind), list):
        page[kind] = []
    frame = LOADERS[kind](page)
    expected = EMPTY[kind]()
    assert list(frame.columns) == list(expected.columns)
    assert list(frame.dtypes) == list(expected.dtypes)
    assert len(frame) == len(page[kind])


@st.composite
def malformed_pages(draw: st.DrawFn, samples: dict[str, Any]) -> tuple[str, Any]:
    """Return a loader name and a damaged page: wrong types, or truncated/garbled JSON text."""
    kind = draw(st.sampled_from(sorted(LOADERS)))
    page = _mutate(draw, samples[kind], drop=True, extra=True, retype=True)
    form = draw(st.integers(0, 5))
    if form == 0:
        text = json.dumps(page)
        return kind, text[: draw(st.integers(0, max(0, len(text) - 1)))].encode()
    if form == 1:
        raw = bytearray(json.dumps(page).encode())
        for _ in range(draw(st.integers(1, 5))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return kind, bytes(raw)
    if form == 2:
        return kind, draw(json_values)
    return kind, page


@SETTINGS
@given(data=st.data())
def test_frames_loaders_raise_only_adstudio_errors(
    samples: dict[str, Any], data: st.DataObject, leak_guard: LeakGuard
) -> None:
    """B2/B5/B7: damaged pages give a frame or an AdStudioError, never another exception."""
    kind, page = data.draw(malformed_pages(samples))
    frame = only_adstudio_errors(lambda: LOADERS[kind](page), leak_guard)
    assert frame is None or isinstance(frame, pd.DataFrame)


# -- the Ads client against a hostile server (B9-B11) --------------------------------------------


class HostileServer:
    """A loopback HTTP server that answers every request with the current scripted answer."""

    def __init__(self) -> None:
        self.answer = Response(b"{}", status=200, mimetype="application/json")
        self.requests = 0
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _app(self, environ: Any, start_response: Any) -> Any:
        self.requests += 1
        Request(environ).get_data()
        return self.answer(environ, start_response)

    @property
    def base_url(self) -> str:
        """Return the API base URL."""
        return f"http://127.0.0.1:{self._server.port}/ads/v3"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[HostileServer]:
    """One hostile server for the module."""
    with HostileServer() as server:
        yield server


FAST_RETRIES = RetryPolicy(
    max_attempts=2,
    max_timeouts=1,
    max_rate_limited=2,
    backoff_s=0.001,
    backoff_max_s=0.002,
    max_rate_limit_wait_s=0.01,
)
ACCOUNT = "5f0c3a52-4d0e-4c66-9d0b-1b9f4f6d2a11"


@st.composite
def hostile_answers(draw: st.DrawFn, samples: dict[str, Any]) -> Response:
    """Return an answer: any status, B11 headers with odd values, and any body."""
    status = draw(
        st.one_of(
            st.sampled_from([200, 200, 201, 204, 400, 401, 403, 404, 422, 429, 500, 503]),
            st.integers(200, 599),
        )
    )
    body_kind = draw(st.integers(0, 4))
    if body_kind == 0:
        kind = draw(st.sampled_from(sorted(samples)))
        page = _mutate(draw, samples[kind], drop=True, extra=True, retype=True)
        if isinstance(page, dict) and isinstance(page.get("paging"), dict):
            page["paging"]["total_results"] = draw(st.integers(-5, 300))  # bounded paging
        body = json.dumps(page).encode()
    elif body_kind == 1:
        body = json.dumps(
            {
                draw(
                    st.sampled_from(
                        ["sp_trace_id", "messages", "error_codes", "errorCodes", "error"]
                    )
                ): draw(json_values)
                for _ in range(draw(st.integers(0, 4)))
            }
        ).encode()
    elif body_kind == 2:
        body = json.dumps(draw(json_values)).encode()
    elif body_kind == 3:
        body = draw(st.binary(max_size=200))
    else:
        body = b""
    headers = {}
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"):
        if draw(st.booleans()):
            headers[name] = draw(
                st.sampled_from(["0", "1", "-1", "1e9", "nan", "inf", "0.001", "abc", "", "1500"])
            )
    return Response(
        body,
        status=status,
        headers=headers,
        mimetype=draw(st.sampled_from(["application/json", "text/html"])),
    )


CALLS: dict[str, Callable[[AdsClient], Any]] = {
    "get": lambda c: c.get("/businesses"),
    "businesses": lambda c: endpoints.businesses(c),
    "all_ad_accounts": lambda c: endpoints.all_ad_accounts(c),
    "ad_account": lambda c: endpoints.ad_account(c, ACCOUNT),
    "campaigns": lambda c: endpoints.list_objects(c, ACCOUNT, "campaigns"),
    "report": lambda c: list(
        endpoints.aggregate_report_pages(c, ACCOUNT, entity_type="AD", fields=["IMPRESSIONS"])
    ),
    "totals": lambda c: endpoints.aggregate_totals(
        c, ACCOUNT, entity_type="AD", entity_ids=[ACCOUNT], fields=["REACH"]
    ),
    "insights": lambda c: endpoints.insight_report(
        c, ACCOUNT, dimension="AGE", fields=["IMPRESSIONS"]
    ),
    "frames: ad_accounts": lambda c: Ads(c, progress=False).ad_accounts(),
    "frames: campaigns": lambda c: Ads(c, progress=False).campaigns(ACCOUNT),
    "frames: report": lambda c: Ads(c, progress=False).report(
        ACCOUNT, granularity="LIFETIME", fields=["IMPRESSIONS"]
    ),
}


@SETTINGS
@given(data=st.data(), call=st.sampled_from(sorted(CALLS)))
def test_b9_b11_client_raises_only_adstudio_errors_whatever_the_server_says(
    hostile_server: HostileServer,
    samples: dict[str, Any],
    data: st.DataObject,
    call: str,
    leak_guard: LeakGuard,
) -> None:
    """B9-B11: any status, headers and body: a value, or a one-line AdStudioError."""
    hostile_server.answer = data.draw(hostile_answers(samples))
    client = AdsClient(
        hostile_server.base_url,
        StaticToken(TOKEN_CANARY),
        timeout_s=5,
        max_workers=2,
        pacing=False,
        retry=FAST_RETRIES,
    )
    try:
        only_adstudio_errors(lambda: CALLS[call](client), leak_guard)
    finally:
        client.close()


@SETTINGS
@given(
    status=st.integers(100, 599),
    body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())),
    headers=st.dictionaries(
        st.sampled_from(["Retry-After", "X-RateLimit-Reset", "X-Other"]), st.text(max_size=8)
    ),
)
def test_b9_error_mapping_always_gives_a_one_line_api_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    """B9: whatever the error body, the mapped APIError has a one-line, non-empty message."""
    error = error_from_response(
        status, body, method="GET", url=f"http://h/ads/v3/x?token={TOKEN_CANARY}", headers=headers
    )
    assert isinstance(error, AdStudioError)
    check_error(error)


@pytest.mark.parametrize("reset", ["1e9", "86400", "3600"])
def test_b11_pacer_never_waits_longer_than_a_window(reset: str) -> None:
    """B11: ``X-RateLimit-Reset`` is at most the 30 s window; a larger value must not hang.

    A proxy or a buggy answer saying ``X-RateLimit-Remaining: 0`` with a huge reset would
    otherwise park every later request of the client (and the notebook) for that long.
    """
    pacer = Pacer()
    pacer.observe(GENERAL, limit=1500, remaining=0, reset_s=float(reset))
    assert pacer.try_acquire(GENERAL) <= pacer.policy.window_s
