"""Settings, presets, configuration sources and the fix hints (A12, A13, D)."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.server
import os
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from adstudio_nb import config
from adstudio_nb.config import (
    DEFAULT_REDIRECT_URI,
    SPOTIFY_ADS_API_V3,
    SPOTIFY_ADS_SANDBOX_V1,
    Settings,
    load_settings,
    validate_client_id,
    validate_client_secret,
    validate_scope,
)
from adstudio_nb.exceptions import AdStudioError, ConfigurationError, RedirectURIError
from adstudio_nb.redaction import Secret

CLIENT_ID = "0123456789abcdef0123456789abcdef"
GUIDE_URI = "http://127.0.0.1:8888/callback"
SECRET = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def no_dotenv(tmp_path, monkeypatch):
    """Run in an empty directory, so no ./.env is read by accident."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- presets ---------------------------------------------------------------------------------------


def test_spotify_preset_uses_the_real_hosts():
    s = Settings.spotify(CLIENT_ID, SECRET)
    assert s.authorize_url == "https://accounts.spotify.com/authorize"
    assert s.token_url == "https://accounts.spotify.com/api/token"
    assert s.api_base_url == "https://api-partner.spotify.com/ads/v3" == SPOTIFY_ADS_API_V3
    # A12: the port-less loopback URI, as every hint advises (8888 is Jupyter's own port).
    assert s.redirect_uri == DEFAULT_REDIRECT_URI == "http://127.0.0.1/callback"
    assert s.scope == "" and s.target == "spotify" and s.profile == "default"
    assert not s.use_pkce and s.token_dir is None and s.token_storage == "file"


def test_the_guides_ads_sandbox_host_is_selectable_C():
    s = Settings.spotify(CLIENT_ID, SECRET, api_base_url=SPOTIFY_ADS_SANDBOX_V1)
    assert s.api_base_url == "https://api-partner.spotify.com/ads-sandbox/v1"


def test_no_secret_means_pkce_A5():
    assert Settings.spotify(CLIENT_ID).use_pkce
    assert Settings.spotify(CLIENT_ID, SECRET, use_pkce=True).use_pkce


def test_for_sandbox_uses_the_demo_app(sandbox):
    s = Settings.for_sandbox(sandbox)
    assert s.client_id == sandbox.demo_app.client_id
    assert s.client_secret == sandbox.demo_app.client_secret
    assert s.redirect_uri == "http://127.0.0.1/callback"  # any port (A12)
    assert s.token_url == sandbox.token_url and s.target == "sandbox"
    assert s.token_storage == "memory" and s.dashboard_url == sandbox.dashboard_url
    assert Settings.for_sandbox(sandbox, use_pkce=True).client_secret is None


def test_repr_never_shows_the_secret():
    s = Settings.spotify(CLIENT_ID, SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert s.has_client_secret


def test_streaming_scope_is_accepted_A13():
    assert Settings.spotify(CLIENT_ID, SECRET, scope=" streaming  ").scope == "streaming"
    with pytest.raises(ConfigurationError, match="empty for the Ads API"):
        validate_scope('stream"ing')


def test_replace_validates_again():
    s = Settings.spotify(CLIENT_ID, SECRET)
    with pytest.raises(RedirectURIError):
        dataclasses.replace(s, redirect_uri="http://localhost:8888/callback")


# -- credentials -----------------------------------------------------------------------------------


def test_client_id_and_secret_shapes():
    assert validate_client_id(" " + CLIENT_ID + "\n") == CLIENT_ID
    assert validate_client_secret(SECRET) == SECRET
    base64_basic = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY6ZmVkY2Jh="
    for bad in ["", "abc", "g" * 32, CLIENT_ID + "0", base64_basic, "BQ" + "x" * 100, 7, None]:
        with pytest.raises(ConfigurationError) as info:
            validate_client_id(bad)
        message = str(info.value)
        assert "\n" not in message
        if isinstance(bad, str) and len(bad) > 3:
            assert bad not in message  # a mis-pasted value might be the secret: never echoed
    with pytest.raises(ConfigurationError, match="base64 Basic"):
        validate_client_secret(base64_basic)
    with pytest.raises(ConfigurationError, match="token or an authorization code"):
        validate_client_id("BQ" + "x" * 100)


def test_secret_pasted_into_the_id_field_is_detected():
    with pytest.raises(ConfigurationError, match="pasted into the other") as info:
        Settings.spotify(SECRET, SECRET)
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigurationError, match="equals the client secret"):
        validate_client_id(SECRET, client_secret=SECRET)
    with pytest.raises(ConfigurationError, match="equals the client id"):
        validate_client_secret(CLIENT_ID, client_id=CLIENT_ID)


def test_custom_target_accepts_other_credential_shapes():
    s = Settings(
        client_id="my-client",
        client_secret="s3cr3t-value",
        target="custom",
        authorize_url="https://id.example.com/authorize",
        token_url="https://id.example.com/token",
        api_base_url="https://api.example.com/v3/",
    )
    assert s.api_base_url == "https://api.example.com/v3"
    with pytest.raises(ConfigurationError, match="https"):
        dataclasses.replace(s, token_url="http://id.example.com/token")


def test_token_dir_in_the_working_directory_is_refused(no_dotenv):
    with pytest.raises(ConfigurationError, match="working directory"):
        Settings.spotify(CLIENT_ID, SECRET, token_dir=Path("."))
    assert Settings.spotify(CLIENT_ID, SECRET, token_dir=no_dotenv / "t").token_dir == (
        no_dotenv / "t"
    )


def test_default_token_dir_is_the_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    directory = config.default_token_dir()
    assert directory == tmp_path / "xdg" / "adstudio_nb" / "tokens"
    assert directory.resolve() != Path.cwd().resolve()


# -- load_settings: arguments > environment > .env > sandbox --------------------------------------


def test_environment_configures_real_spotify(no_dotenv):
    env = {"ADSTUDIO_CLIENT_ID": CLIENT_ID, "ADSTUDIO_CLIENT_SECRET": SECRET}
    s = load_settings(environ=env)
    assert s.target == "spotify" and s.client_id == CLIENT_ID and s.client_secret == SECRET
    assert s.token_url == "https://accounts.spotify.com/api/token"


def test_precedence_arguments_then_environment_then_dotenv(no_dotenv):
    other_id = "11111111111111111111111111111111"
    (no_dotenv / ".env").write_text(
        f"ADSTUDIO_CLIENT_ID={other_id}\n"
        f"ADSTUDIO_CLIENT_SECRET={SECRET}\n"
        "ADSTUDIO_SCOPE=streaming\n"
        "ADSTUDIO_PROFILE=from-dotenv\n"
    )
    before = dict(os.environ)
    s = load_settings(env_file=".env", environ={"ADSTUDIO_PROFILE": "from-env"})
    assert (s.client_id, s.scope, s.profile) == (other_id, "streaming", "from-env")
    s = load_settings(
        env_file=".env", environ={"ADSTUDIO_CLIENT_ID": CLIENT_ID}, profile="from-arg", scope=None
    )
    assert (s.client_id, s.profile, s.scope) == (CLIENT_ID, "from-arg", "streaming")
    assert dict(os.environ) == before  # never mutated


def test_env_file_variable_and_argument(no_dotenv, tmp_path):
    elsewhere = tmp_path / "creds.env"
    elsewhere.write_text(f"ADSTUDIO_CLIENT_ID={CLIENT_ID}\nADSTUDIO_USE_PKCE=yes\n")
    s = load_settings(environ={"ADSTUDIO_ENV_FILE": str(elsewhere)})
    assert s.client_id == CLIENT_ID and s.use_pkce and s.client_secret is None
    assert load_settings(environ={}, env_file=elsewhere).client_id == CLIENT_ID
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(environ={"ADSTUDIO_ENV_FILE": str(tmp_path / "missing.env")})


def test_environment_values_are_checked(no_dotenv):
    base = {"ADSTUDIO_CLIENT_ID": CLIENT_ID, "ADSTUDIO_CLIENT_SECRET": SECRET}
    with pytest.raises(ConfigurationError, match="sandbox or spotify"):
        load_settings(environ={**base, "ADSTUDIO_TARGET": "production"})
    with pytest.raises(ConfigurationError, match="true or false"):
        load_settings(environ={**base, "ADSTUDIO_USE_PKCE": "maybe"})
    with pytest.raises(RedirectURIError, match=r"127\.0\.0\.1"):
        load_settings(environ={**base, "ADSTUDIO_REDIRECT_URI": "http//localhost:8888/callback"})
    with pytest.raises(ConfigurationError, match="ADSTUDIO_CLIENT_ID"):
        load_settings(environ={"ADSTUDIO_TARGET": "spotify"})
    with pytest.raises(ConfigurationError, match="Unknown setting"):
        load_settings(environ=base, colour="blue")
    s = load_settings(environ={**base, "ADSTUDIO_TOKEN_DIR": str(no_dotenv / "tok")})
    assert s.token_dir == no_dotenv / "tok"


def test_custom_hosts_with_the_custom_target(no_dotenv):
    s = load_settings(
        environ={
            "ADSTUDIO_TARGET": "custom",
            "ADSTUDIO_CLIENT_ID": CLIENT_ID,
            "ADSTUDIO_CLIENT_SECRET": SECRET,
            "ADSTUDIO_TOKEN_URL": "https://id.example.com/token",
            "ADSTUDIO_AUTHORIZE_URL": "https://id.example.com/authorize",
        }
    )
    assert s.target == "custom" and s.token_url == "https://id.example.com/token"
    assert s.custom_target_notice == (
        "Custom target: credentials go to https://id.example.com (login and tokens) and "
        "https://api-partner.spotify.com (Ads API), not to Spotify."
    )


def test_zero_configuration_asks_for_a_sandbox_without_starting_one(no_dotenv):
    """Nothing configured: settings that ask for a sandbox, hosts and demo app still unknown."""
    s = load_settings(environ={})
    assert s.target == "sandbox" and not s.is_resolved and s.sandbox_url is None
    assert (s.client_id, s.authorize_url, s.token_url, s.api_base_url) == ("", "", "", "")
    assert s.dashboard_url is None and s.client_secret is None
    named = load_settings(environ={"ADSTUDIO_SANDBOX_URL": "http://127.0.0.1:9/"})
    assert named.sandbox_url == "http://127.0.0.1:9" and not named.is_resolved
    assert Settings.spotify(CLIENT_ID, SECRET).is_resolved


def test_zero_configuration_resolves_to_the_sandbox_in_this_process(no_dotenv, tmp_path):
    """No stand-alone sandbox runs: resolution starts one here; its tokens stay in memory."""
    from adstudio_nb import demo

    s = demo.resolve_settings(load_settings(environ={}), runtime_dir=tmp_path / "run")
    here = demo.embedded_sandbox()
    assert s.is_resolved and s.target == "sandbox" and s.sandbox_url is None
    assert s.client_id == here.demo_app.client_id and s.token_url == here.token_url
    assert s.api_base_url == here.api_base_url and s.dashboard_url == here.dashboard_url
    assert s.token_storage == "memory" and s.profile == "sandbox"
    assert s.redirect_uri == "http://127.0.0.1/callback"  # A12: any port
    assert demo.resolve_settings(s) is s  # idempotent
    explicit = load_settings(environ={}, use_pkce=True, redirect_uri=GUIDE_URI, profile="mine")
    s = demo.resolve_settings(explicit, runtime_dir=tmp_path / "run")
    assert s.use_pkce and s.client_secret is None
    assert (s.redirect_uri, s.profile) == (GUIDE_URI, "mine")


def test_resolution_leaves_spotify_and_custom_settings_alone():
    """Resolution is a no-op for settings that already say where they go."""
    from adstudio_nb import demo

    spotify = Settings.spotify(CLIENT_ID, SECRET)
    assert demo.resolve_settings(spotify) is spotify
    custom = Settings(client_id=CLIENT_ID, target="custom", token_url="https://id.example/t")
    assert demo.resolve_settings(custom) is custom


def test_a_named_stand_alone_sandbox_keeps_tokens_in_files(no_dotenv, sandbox):
    """ADSTUDIO_SANDBOX_URL: that sandbox's demo app, tokens in files (it outlives a kernel)."""
    from adstudio_nb import demo

    wanted = load_settings(environ={"ADSTUDIO_SANDBOX_URL": sandbox.base_url})
    s = demo.resolve_settings(wanted)
    assert s.token_url == sandbox.token_url and s.client_id == sandbox.demo_app.client_id
    assert s.token_storage == "file" and s.sandbox_url == sandbox.base_url
    assert s.profile == f"sandbox-{sandbox.instance_id}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ConfigurationError, match="adstudio-nb sandbox") as info:
        demo.resolve_settings(load_settings(environ={"ADSTUDIO_SANDBOX_URL": closed}))
    assert "\n" not in str(info.value)


def test_a_standalone_sandbox_run_has_its_own_token_profile(tmp_path: Path) -> None:
    """A restarted kernel finds the login of the same sandbox run, never a previous run's."""
    from adstudio_nb import demo
    from adstudio_nb.sandbox import Sandbox

    profiles = []
    for _ in range(2):
        with Sandbox() as sb:
            env = {"ADSTUDIO_SANDBOX_URL": sb.base_url}
            first = demo.resolve_settings(load_settings(environ=env))
            again = demo.resolve_settings(load_settings(environ=env))
            assert first.token_storage == "file" and first.profile == again.profile
            profiles.append(first.profile)
    assert profiles[0] != profiles[1] and all(p.startswith("sandbox-") for p in profiles)


def test_an_announced_stand_alone_sandbox_is_found_and_a_stale_entry_dropped(tmp_path, sandbox):
    """With the variable unset, the sandbox `adstudio-nb sandbox` announced is used.

    The runtime file is private (0600); an entry whose URL no longer answers with the same
    sandbox run is stale: it is removed and the search goes on.
    """
    from adstudio_nb import demo
    from adstudio_nb.sandbox import Sandbox

    run = tmp_path / "run"
    entry = demo.announce_sandbox(sandbox.base_url, sandbox.instance_id, runtime_dir=run)
    assert (entry.path.stat().st_mode & 0o777) == 0o600
    assert (run.stat().st_mode & 0o777) == 0o700
    s = demo.resolve_settings(load_settings(environ={}), runtime_dir=run, in_process=False)
    assert s.token_url == sandbox.token_url and s.sandbox_url == sandbox.base_url
    assert s.profile == f"sandbox-{sandbox.instance_id}" and s.token_storage == "file"
    with Sandbox() as other:  # another run answers at an announced URL: not ours any more
        demo.announce_sandbox(other.base_url, "0123456789ab", runtime_dir=run)
        assert demo.find_running_sandbox(runtime_dir=run) is None
    assert not entry.path.exists()
    with pytest.raises(ConfigurationError, match="No sandbox is running"):
        demo.resolve_settings(load_settings(environ={}), runtime_dir=run, in_process=False)
    entry = demo.announce_sandbox(sandbox.base_url, sandbox.instance_id, runtime_dir=run)
    entry.withdraw()
    assert not entry.path.exists()


def test_sandbox_hosts_come_from_the_sandbox(no_dotenv):
    """With the sandbox target the addresses are the sandbox's: setting them is refused."""
    with pytest.raises(ConfigurationError, match="ADSTUDIO_TOKEN_URL"):
        load_settings(
            environ={"ADSTUDIO_TARGET": "sandbox", "ADSTUDIO_TOKEN_URL": "http://127.0.0.1:9/t"}
        )


def test_unresolved_settings_cannot_log_in():
    """A flow on settings still asking for a sandbox says what to do instead of failing later."""
    from adstudio_nb.auth import OAuthFlow

    with pytest.raises(ConfigurationError, match="resolve_settings"):
        OAuthFlow(Settings.unresolved_sandbox())


# -- hermetic: load_settings with a given environment reads nothing else --------------------------

_GUARD = threading.local()
_IO_EVENTS = ("open", "socket.", "os.listdir", "os.scandir", "os.mkdir", "os.remove", "os.rename")


def _audit(event: str, args: tuple[object, ...]) -> None:
    if getattr(_GUARD, "on", False) and event.startswith(_IO_EVENTS):
        raise AssertionError(f"I/O during load_settings: {event} {args[:1]!r}")


sys.addaudithook(_audit)  # audit hooks stay for the process; inert unless _GUARD.on


class _NoEnviron(dict):  # type: ignore[type-arg]
    """Stands in for os.environ: any read fails the test."""

    def _read(self, *args: object) -> Any:
        raise AssertionError(f"os.environ was read {args[:1]!r}")

    __getitem__ = get = __contains__ = __iter__ = keys = items = copy = _read  # type: ignore[assignment]


@contextlib.contextmanager
def _hermetic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail on any read of os.environ, any file opened or stat'ed, any socket."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"the file system or network was asked about {args[:1]!r}")

    with monkeypatch.context() as patch:
        patch.setattr(os, "environ", _NoEnviron())
        for name in ("stat", "lstat", "getcwd"):
            patch.setattr(os, name, refuse)
        patch.setattr(socket.socket, "connect", refuse)
        _GUARD.on = True
        try:
            yield
        finally:
            _GUARD.on = False


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"ADSTUDIO_SANDBOX_URL": "http://127.0.0.1:9"},
        {"ADSTUDIO_CLIENT_ID": CLIENT_ID, "ADSTUDIO_CLIENT_SECRET": SECRET},
        {"ADSTUDIO_TARGET": "sandbox", "ADSTUDIO_USE_PKCE": "yes", "ADSTUDIO_PROFILE": "p"},
    ],
    ids=["nothing", "sandbox-url", "spotify", "sandbox-switches"],
)
def test_load_settings_with_a_given_environment_is_hermetic(monkeypatch, environ):
    """No os.environ, no file opened or stat'ed, no socket: only the mapping it was given."""
    load_settings(environ=dict(environ), env_file=None)  # any lazy import happens here
    with _hermetic(monkeypatch):
        s = load_settings(environ=dict(environ), env_file=None)
    assert s.target in ("sandbox", "spotify")


def test_the_hermetic_guard_catches_the_process_environment_and_dotenv(monkeypatch, tmp_path):
    """The guard can fail: the default call reads os.environ, and ./.env when one is named."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match=r"os\.environ"), _hermetic(monkeypatch):
        load_settings()
    (tmp_path / "x.env").write_text("")
    with pytest.raises(AssertionError, match=r"file system|I/O"), _hermetic(monkeypatch):
        load_settings(environ={"ADSTUDIO_ENV_FILE": str(tmp_path / "x.env")})


def test_config_never_imports_the_sandbox():
    """config stays hermetic: no import of the sandbox or the sandbox bridge, not even lazily."""
    import ast
    import subprocess
    import sys as _sys

    tree = ast.parse(Path(config.__file__).read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m and ("sandbox" in m or m == "demo" or "importlib" in m)}
    script = (
        "import sys; from adstudio_nb.config import load_settings; "
        "load_settings(environ={}); load_settings(environ={'ADSTUDIO_SANDBOX_URL': "
        "'http://127.0.0.1:9'}); "
        "print(sorted(m for m in sys.modules if m.startswith(('adstudio_nb.sandbox', "
        "'adstudio_nb.demo', 'requests'))))"
    )
    done = subprocess.run(
        [_sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


# -- where credentials may go: hosts come from arguments or the real environment only -------------

BASIC = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


class _Recorder:
    """A tiny HTTP server on 127.0.0.1 that writes down every request it gets."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                recorder.seen.append((self.command, self.path, dict(self.headers)))
                ok = self.command == "GET"
                body = b'{"businesses": []}' if ok else b'{"error": "invalid_grant"}'
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def credentials(self) -> list[str]:
        """Every Authorization header (or credential in a body) that reached the server."""
        return [h.get("Authorization", "") for _m, _p, h in self.seen if h.get("Authorization")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    yield server
    server.close()


def _use(settings: Settings) -> None:
    """Do what a notebook does with settings: open the login, call the API, refresh (A1, A8, B).

    Only hosts on 127.0.0.1 are contacted: nothing leaves this machine, whatever the settings.
    """
    from adstudio_nb.auth import OAuthFlow, Token
    from adstudio_nb.client import AdsClient, RetryPolicy
    from adstudio_nb.token_store import MemoryTokenStore

    def local(url: str) -> bool:
        return urlsplit(url).hostname == "127.0.0.1"

    now = datetime.now(UTC)
    store = MemoryTokenStore()
    store.save(Token("BQ" + "a" * 100, "AQ" + "b" * 100, now + timedelta(hours=1), now))
    flow = OAuthFlow(settings, store=store)
    login = flow.start_login()
    if local(login.url):
        requests.get(login.url, timeout=10)  # the browser opening "Open Spotify login"
    if local(settings.api_base_url):
        client = AdsClient(settings.api_base_url, flow, retry=RetryPolicy(max_attempts=1))
        with client, contextlib.suppress(AdStudioError):
            client.get("/businesses")
    if local(settings.token_url):
        with contextlib.suppress(AdStudioError):
            flow.refresh()


@pytest.mark.parametrize(
    ("variable", "path"),
    [
        ("ADSTUDIO_API_BASE_URL", "/ads/v3"),
        ("ADSTUDIO_TOKEN_URL", "/api/token"),
        ("ADSTUDIO_AUTHORIZE_URL", "/authorize"),
    ],
)
def test_a_dotenv_host_is_refused_and_nothing_reaches_it_A5_B10(
    no_dotenv, recorder, variable, path
):
    """A .env cannot send the bearer token, the Basic value or the login page elsewhere."""
    (no_dotenv / ".env").write_text(
        f"ADSTUDIO_CLIENT_ID={CLIENT_ID}\nADSTUDIO_CLIENT_SECRET={SECRET}\n"
        f"{variable}={recorder.url}{path}\n"
    )
    refused: ConfigurationError | None = None
    try:
        settings = load_settings(env_file=".env", environ={})
    except ConfigurationError as exc:
        refused = exc
    else:
        _use(settings)
    assert recorder.seen == [], f"{len(recorder.credentials())} credential(s) reached the host"
    assert refused is not None
    message = str(refused)
    assert variable in message and "environment" in message and ".env" in message
    assert SECRET not in message and "\n" not in message


def test_dotenv_values_are_taken_literally_no_variable_expansion(no_dotenv, monkeypatch):
    """`${ADSTUDIO_CLIENT_SECRET}` in a .env value stays as written: the secret never lands."""
    for name in [k for k in os.environ if k.startswith("ADSTUDIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ADSTUDIO_CLIENT_SECRET", SECRET)
    (no_dotenv / ".env").write_text(
        f"ADSTUDIO_CLIENT_ID={CLIENT_ID}\n"
        "ADSTUDIO_REDIRECT_URI=http://127.0.0.1/cb/${ADSTUDIO_CLIENT_SECRET}\n"
    )
    s = load_settings()
    assert s.redirect_uri == "http://127.0.0.1/cb/${ADSTUDIO_CLIENT_SECRET}"
    assert s.client_secret == SECRET  # from the real environment, as configured
    assert SECRET not in repr(s) and SECRET not in str(s)


@pytest.mark.parametrize("variable", ["ADSTUDIO_TOKEN_DIR", "ADSTUDIO_SANDBOX_URL"])
def test_token_dir_and_sandbox_url_come_only_from_the_environment(no_dotenv, sandbox, variable):
    """Where tokens live and which sandbox hands out credentials: not a .env's decision."""
    value = str(no_dotenv / "tokens") if variable == "ADSTUDIO_TOKEN_DIR" else sandbox.base_url
    (no_dotenv / ".env").write_text(f"ADSTUDIO_CLIENT_ID={CLIENT_ID}\n{variable}={value}\n")
    with pytest.raises(ConfigurationError, match=variable) as info:
        load_settings(env_file=".env", environ={})
    assert "environment" in str(info.value)
    (no_dotenv / ".env").write_text("")
    if variable == "ADSTUDIO_TOKEN_DIR":
        s = load_settings(
            env_file=".env", environ={"ADSTUDIO_CLIENT_ID": CLIENT_ID, variable: value}
        )
        assert s.token_dir == no_dotenv / "tokens" and s.target == "spotify"
    else:
        s = load_settings(env_file=".env", environ={variable: value})
        assert s.target == "sandbox" and s.sandbox_url == sandbox.base_url


def test_dotenv_may_choose_spotify_or_the_sandbox_but_not_a_custom_target(no_dotenv):
    """A .env chooses among the known targets; sending credentials elsewhere is not its call."""
    base = f"ADSTUDIO_CLIENT_ID={CLIENT_ID}\nADSTUDIO_CLIENT_SECRET={SECRET}\n"
    (no_dotenv / ".env").write_text(base + "ADSTUDIO_TARGET=spotify\nADSTUDIO_USE_PKCE=no\n")
    assert load_settings(env_file=".env", environ={}).target == "spotify"
    (no_dotenv / ".env").write_text(base + "ADSTUDIO_TARGET=custom\n")
    with pytest.raises(ConfigurationError, match="ADSTUDIO_TARGET"):
        load_settings(
            env_file=".env", environ={"ADSTUDIO_TOKEN_URL": "https://id.example.com/token"}
        )


@pytest.mark.parametrize(
    "hosts",
    [
        {"api_base_url": "http://127.0.0.1:9/ads/v3"},
        {"token_url": "http://127.0.0.1:9/api/token"},
        {"authorize_url": "https://accounts.example.com/authorize"},
        {"api_base_url": "https://api-partner.spotify.com.example.com/ads/v3"},
        {"token_url": "http://accounts.spotify.com/api/token"},
        {"dashboard_url": "https://developer.example.com/dashboard"},
    ],
    ids=lambda h: next(iter(h)),
)
def test_the_spotify_target_only_talks_to_spotify_over_https(hosts):
    """Target spotify: the authorize page, token endpoint and API are Spotify's (A1, A5, B)."""
    with pytest.raises(ConfigurationError, match="custom") as info:
        Settings(client_id=CLIENT_ID, client_secret=SECRET, target="spotify", **hosts)
    assert "\n" not in str(info.value) and SECRET not in str(info.value)


def test_spotifys_own_hosts_pass_with_either_authorize_spelling_A1():
    """A1: the Ads guides write `/authorize/`; both spellings are Spotify's."""
    for url in (
        "https://accounts.spotify.com/authorize",
        "https://accounts.spotify.com/authorize/",
    ):
        assert Settings(client_id=CLIENT_ID, authorize_url=url).authorize_url == url
    assert Settings.spotify(CLIENT_ID, SECRET, api_base_url=SPOTIFY_ADS_API_V3 + "/").target


def test_hosts_in_the_environment_need_the_custom_target_chosen_on_purpose(no_dotenv):
    """Hosts in the real environment alone do not make a custom target: it is chosen explicitly."""
    env = {
        "ADSTUDIO_CLIENT_ID": CLIENT_ID,
        "ADSTUDIO_CLIENT_SECRET": SECRET,
        "ADSTUDIO_TOKEN_URL": "https://id.example.com/token",
    }
    with pytest.raises(ConfigurationError, match="ADSTUDIO_TARGET=custom"):
        load_settings(environ=env)
    s = load_settings(environ={**env, "ADSTUDIO_TARGET": "custom"})
    assert s.target == "custom" and s.token_url == "https://id.example.com/token"
    assert s.custom_target_notice is not None
    assert "https://id.example.com" in s.custom_target_notice
    assert "https://api-partner.spotify.com" in s.custom_target_notice  # the API stays Spotify's
    assert "not to Spotify" in s.custom_target_notice
    assert Settings.spotify(CLIENT_ID, SECRET).custom_target_notice is None


def test_the_sandbox_target_only_points_at_this_machine(no_dotenv):
    """A sandbox hands out its demo credentials and consents by itself: only on loopback."""
    with pytest.raises(ConfigurationError, match=r"127\.0\.0\.1"):
        Settings(
            client_id=CLIENT_ID,
            client_secret=SECRET,
            target="sandbox",
            authorize_url="https://sandbox.example.com/authorize",
            token_url="https://sandbox.example.com/api/token",
            api_base_url="https://sandbox.example.com/ads/v3",
            dashboard_url=None,
        )
    with pytest.raises(ConfigurationError, match="ADSTUDIO_SANDBOX_URL"):
        load_settings(environ={"ADSTUDIO_SANDBOX_URL": "https://sandbox.example.com"})


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.example.com/{SECRET}/v3",
        f"https://api.example.com/v3/{SECRET.upper()}",
        f"https://api.example.com/v3/{BASIC}",
        "https://api.example.com/v3/BQ" + "x" * 80,
        "https://user:pa55word@api.example.com/v3",
    ],
    ids=["secret", "upper", "basic", "token-shaped", "userinfo"],
)
def test_no_shown_url_holds_a_secret(url):
    """A URL is shown on panels and in reprs: one holding a secret or credential is refused."""
    for name in ("api_base_url", "token_url", "authorize_url", "dashboard_url", "redirect_uri"):
        with pytest.raises(ConfigurationError) as info:
            Settings(
                client_id=CLIENT_ID,
                client_secret=SECRET,
                target="custom",
                **{
                    name: url.replace("api.example.com", "127.0.0.1")
                    if name == "redirect_uri"
                    else url
                },
            )
        message = str(info.value)
        assert SECRET not in message.lower() and BASIC not in message
        assert "pa55word" not in message and "x" * 40 not in message


def test_the_secret_is_also_available_hidden():
    """`settings.secret` holds the client secret as a value that never prints."""
    s = Settings.spotify(CLIENT_ID, SECRET)
    assert s.secret is not None and s.secret.reveal() == SECRET == s.client_secret
    assert SECRET not in f"{s.secret} {s.secret!r}"
    assert Settings.spotify(CLIENT_ID).secret is None
    given_hidden = Settings.spotify(CLIENT_ID, Secret(SECRET))  # type: ignore[arg-type]
    assert given_hidden.client_secret == SECRET and given_hidden == s
