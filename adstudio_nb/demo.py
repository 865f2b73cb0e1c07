"""The one bridge between the client side and the sandbox: find it, start it, play its person.

Zero configuration means a sandbox. :func:`adstudio_nb.config.load_settings` only says so
(``Settings(target="sandbox", sandbox_url=...)`` with the hosts and demo app still empty);
:func:`resolve_settings` finds that sandbox and fills them in, in this order:

1. the stand-alone sandbox ``ADSTUDIO_SANDBOX_URL`` names (read from the real environment only);
2. the stand-alone sandbox ``adstudio-nb sandbox`` or ``make demo`` runs on this machine: it
   announces its URL in a small file in the per-user runtime directory (mode 0600, removed when
   it stops; a stale file is recognised by asking the URL for the sandbox's ``instance_id``);
3. else a sandbox started in this process on a free port, once (``in_process=True``, the
   notebooks' default); the command line instead starts a stand-alone one in the background
   (:func:`start_background_sandbox`), so that separate commands share one sandbox.

A stand-alone sandbox's tokens live in files under a profile named after its run
(``sandbox-<instance id>``): a restarted kernel or the next command finds the login again, and a
sandbox started anew (its tokens unknown to it) starts from a clean slate. An in-process
sandbox's tokens stay in memory and die with it.

This module also plays the person on the sandbox's own login page (log in, click Agree or
Cancel): the demo login of unattended notebooks and shared walkthroughs (:func:`demo_login`),
tests and benchmarks. It works only with the sandbox's pages, never with Spotify's.

No other module outside ``adstudio_nb.sandbox`` imports the sandbox: they come here.

Example:
    >>> from adstudio_nb.config import load_settings
    >>> settings = resolve_settings(load_settings(environ={}), runtime_dir=None)  # doctest: +SKIP
    >>> settings.is_resolved, settings.target  # doctest: +SKIP
    (True, 'sandbox')
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .config import SANDBOX_URL_VARIABLE, Settings, validate_sandbox_url
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .auth import OAuthFlow
    from .sandbox import Sandbox as Sandbox  # re-exported: the type others see, from here
    from .sandbox import SandboxApp
    from .token_store import Token

DEMO_APP_PATH = "/sandbox/demo-app"
DEMO_USER = "alex.analyst"
DEMO_PASSWORD = "demo"  # noqa: S105 (the sandbox's published demo password)
RUNTIME_FILE_NAME = "sandbox.json"
_PENDING = re.compile(r'name="pending" value="([^"]+)"')
_ASK_TIMEOUT_S = 5.0


# -- where the sandbox answers --------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxEndpoints:
    """Where a sandbox answers, and its demo app's credentials.

    Attributes:
        base_url: the sandbox's root, e.g. ``http://127.0.0.1:8765``.
        authorize_url: its authorize page (A1).
        token_url: its token endpoint (A5).
        api_base_url: its Ads API v3 base URL.
        dashboard_url: its developer dashboard (D7).
        client_id: the demo app's client id.
        client_secret: the demo app's secret (never shown in ``repr``).
        redirect_uri: the demo app's port-less loopback redirect URI (A12).
        in_process: True for a sandbox inside this process.
        instance_id: tells one run of a sandbox from the next.
    """

    base_url: str
    authorize_url: str
    token_url: str
    api_base_url: str
    dashboard_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    in_process: bool
    instance_id: str = ""


class _InProcess:
    """This process's sandbox, started on first use and stopped at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sandbox: Sandbox | None = None

    def get(self) -> Sandbox:
        from .sandbox import Sandbox

        with self._lock:
            if self._sandbox is None:
                self._sandbox = Sandbox().start()
                atexit.register(self._sandbox.stop)
            return self._sandbox


_in_process = _InProcess()


def embedded_sandbox() -> Sandbox:
    """Return this process's sandbox, starting it on first use (stopped at exit)."""
    return _in_process.get()


def start_sandbox(
    *,
    port: int = 0,
    seed: int = 0,
    scale: float = 1.0,
    latency_ms: float = 0.0,
    rate_limits: str = "on",
    rate_limit_window_s: float = 30.0,
    faults: str = "",
    shapes: str = "spec",
    fixed_secrets: bool = False,
) -> Sandbox:
    """Start a sandbox in this process on 127.0.0.1 and return it (stop it, or use ``with``).

    The command line's stand-alone sandbox and a shared walkthrough's private one start here.

    Args:
        port: the port (0: a free one).
        seed: the seed of the data and the app ids.
        scale: the size of the data set.
        latency_ms: added to every Ads API answer.
        rate_limits: ``on`` (Spotify's), ``off``, or ``scaled`` (the same counts in
            ``rate_limit_window_s``).
        rate_limit_window_s: the window length with ``scaled``.
        faults: faults to inject, e.g. ``rate=0.2,kinds=500+502+drop,seed=1``; empty for none.
        shapes: ``spec`` (the spec's answer shapes) or ``published`` (Spotify's samples').
        fixed_secrets: derive app secrets from ``seed`` (reproducible); random otherwise.

    Raises:
        ValueError: ``faults`` is not a fault spec (the message shows one).
        OSError: the port cannot be listened on.
    """
    from .sandbox import FaultPlan, Sandbox

    plan = FaultPlan.parse(faults) if faults else None
    return Sandbox(
        port=port,
        seed=seed,
        scale=scale,
        latency_ms=latency_ms,
        rate_limits=rate_limits,
        rate_limit_window_s=rate_limit_window_s,
        faults=plan,
        shapes=shapes,
        fixed_secrets=fixed_secrets,
    ).start()


def endpoints_of(sandbox: Sandbox) -> SandboxEndpoints:
    """Describe a running in-process sandbox."""
    app = sandbox.demo_app
    return SandboxEndpoints(
        base_url=sandbox.base_url,
        authorize_url=sandbox.authorize_url,
        token_url=sandbox.token_url,
        api_base_url=sandbox.api_base_url,
        dashboard_url=sandbox.dashboard_url,
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri=_portless(app.redirect_uris),
        in_process=True,
        instance_id=sandbox.instance_id,
    )


def describe_remote(base_url: str, *, timeout_s: float = _ASK_TIMEOUT_S) -> SandboxEndpoints:
    """Ask a stand-alone sandbox at ``base_url`` for its URLs and demo app.

    Raises:
        ConfigurationError: ``base_url`` is not on this machine (a sandbox hands out
            credentials and logs in by itself, so only a loopback one is asked), or no
            adstudio_nb sandbox answers there.
    """
    base_url = validate_sandbox_url(base_url)
    try:
        answer = requests.get(base_url + DEMO_APP_PATH, timeout=timeout_s)
        answer.raise_for_status()
        body = answer.json()
        return SandboxEndpoints(
            base_url=base_url,
            authorize_url=base_url + "/authorize",
            token_url=base_url + "/api/token",
            api_base_url=base_url + "/ads/v3",
            dashboard_url=base_url + "/dashboard",
            client_id=str(body["client_id"]),
            client_secret=str(body["client_secret"]),
            redirect_uri=_portless([str(u) for u in body["redirect_uris"]]),
            in_process=False,
            instance_id=str(body.get("instance_id", "")),
        )
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
        raise ConfigurationError(
            f"No adstudio_nb sandbox answers at {base_url}. Start one with `adstudio-nb "
            f"sandbox`, or unset {SANDBOX_URL_VARIABLE} to use the one found or started for you."
        ) from None


def _portless(redirect_uris: list[str]) -> str:
    """Prefer the loopback URI registered without a port: any free port works with it (A12).

    The guide's ``http://127.0.0.1:8888/callback`` collides with Jupyter's own port 8888 (D),
    so a zero-configuration login listens on a free port instead.
    """
    for uri in redirect_uris:
        if uri.startswith("http://127.0.0.1/"):
            return uri
    return redirect_uris[0]


# -- zero-configuration resolution ----------------------------------------------------------------


def resolve_settings(
    settings: Settings, *, in_process: bool = True, runtime_dir: Path | None = None
) -> Settings:
    """Return usable settings: the sandbox ``settings`` ask for, found or started and filled in.

    Idempotent, and a no-op for settings that are already resolved (Spotify, custom, or a
    sandbox found before). The order: the sandbox ``settings.sandbox_url`` names, else the
    stand-alone one announced on this machine, else (``in_process``) one in this process.

    Args:
        settings: from :func:`~adstudio_nb.config.load_settings` or
            :meth:`~adstudio_nb.config.Settings.unresolved_sandbox`.
        in_process: start a sandbox in this process when none runs; False raises instead
            (the command line starts a background one itself, see
            :func:`start_background_sandbox`).
        runtime_dir: where stand-alone sandboxes announce themselves; None for the per-user
            runtime directory.

    Raises:
        ConfigurationError: the named sandbox does not answer, or (``in_process=False``)
            none runs.
    """
    if settings.is_resolved:
        return settings
    if settings.sandbox_url:
        endpoints = describe_remote(settings.sandbox_url)
    else:
        found = find_running_sandbox(runtime_dir=runtime_dir)
        if found is not None:
            endpoints = found
        elif in_process:
            endpoints = endpoints_of(embedded_sandbox())
        else:
            raise ConfigurationError(
                "No sandbox is running on this machine: start one with `adstudio-nb sandbox` "
                "(or `make demo`), or let `adstudio-nb login` start one in the background."
            )
    return settings_for(endpoints, settings)


def settings_for(endpoints: SandboxEndpoints, wanted: Settings | None = None) -> Settings:
    """Return settings for a described sandbox, keeping the explicit values of ``wanted``.

    Empty values of ``wanted`` are the sandbox's: its demo app (unless ``wanted`` names an
    app of its own), its port-less redirect URI, and a token profile per stand-alone sandbox
    run (``sandbox`` in memory for one in this process).
    """
    wanted = wanted or Settings.unresolved_sandbox()
    own_app = bool(wanted.client_id)
    if own_app:
        secret = wanted.client_secret
    else:
        secret = None if wanted.use_pkce else endpoints.client_secret
    instance = endpoints.instance_id
    run_profile = (
        f"sandbox-{instance}" if instance.isalnum() and not endpoints.in_process else "sandbox"
    )
    return Settings(
        client_id=wanted.client_id or endpoints.client_id,
        client_secret=secret,
        redirect_uri=wanted.redirect_uri or endpoints.redirect_uri,
        scope=wanted.scope,
        authorize_url=endpoints.authorize_url,
        token_url=endpoints.token_url,
        api_base_url=endpoints.api_base_url,
        dashboard_url=endpoints.dashboard_url,
        target="sandbox",
        profile=wanted.profile or run_profile,
        token_dir=wanted.token_dir,
        use_pkce=wanted.use_pkce,
        # An in-process sandbox forgets its tokens when the process stops: so do we.
        token_storage="memory" if endpoints.in_process else wanted.token_storage,
        catch_redirect=wanted.catch_redirect,
        sandbox_url=None if endpoints.in_process else endpoints.base_url,
    )


# -- stand-alone sandboxes announce themselves ----------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """A stand-alone sandbox's entry in the runtime file: where it answers, which run it is.

    Attributes:
        url: the sandbox's base URL.
        instance_id: the run, as ``/sandbox/demo-app`` reports it.
        pid: the process serving it.
        background: True when started by :func:`start_background_sandbox` (it may be
            stopped by :func:`stop_background_sandbox`).
        path: the runtime file.
    """

    url: str
    instance_id: str
    pid: int
    background: bool
    path: Path

    def withdraw(self) -> None:
        """Remove the entry if it is still this sandbox's (idempotent)."""
        current = _read_announcement(self.path.parent)
        if current is not None and current.instance_id == self.instance_id:
            with contextlib.suppress(OSError):
                self.path.unlink()


def default_runtime_dir() -> Path:
    """Return the per-user runtime directory where stand-alone sandboxes announce themselves."""
    import platformdirs

    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR platformdirs falls back to a private directory of its own
        # and says so; the fallback is fine for a file that only names a loopback URL.
        warnings.simplefilter("ignore", UserWarning)
        return Path(platformdirs.user_runtime_dir("adstudio_nb", appauthor=False))


def announce_sandbox(
    url: str, instance_id: str, *, background: bool = False, runtime_dir: Path | None = None
) -> Announcement:
    """Write the runtime file naming a stand-alone sandbox in this process; removed at exit.

    The file (mode 0600, in a 0700 directory) replaces any previous one: the newest sandbox
    is the one zero-configuration clients use.

    Raises:
        ConfigurationError: the runtime directory cannot be written.
    """
    directory = runtime_dir or default_runtime_dir()
    path = directory / RUNTIME_FILE_NAME
    entry = {"url": url, "instance_id": instance_id, "pid": os.getpid(), "background": background}
    temporary = directory / f".{RUNTIME_FILE_NAME}.{os.getpid()}"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(entry, out)
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot write the sandbox's runtime file in {directory} ({exc.strerror}): other "
            f"commands will not find this sandbox unless {SANDBOX_URL_VARIABLE} names it."
        ) from None
    announcement = Announcement(url, instance_id, os.getpid(), background, path)
    atexit.register(announcement.withdraw)
    return announcement


def _read_announcement(directory: Path) -> Announcement | None:
    """Read the runtime file; None when missing, unreadable, not ours or malformed."""
    path = directory / RUNTIME_FILE_NAME
    try:
        info = path.stat()
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
            return None  # someone else's file could send us to their server
        body = json.loads(path.read_text(encoding="utf-8"))
        return Announcement(
            url=str(body["url"]),
            instance_id=str(body["instance_id"]),
            pid=int(body["pid"]),
            background=bool(body.get("background", False)),
            path=path,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_running_sandbox(*, runtime_dir: Path | None = None) -> SandboxEndpoints | None:
    """Return the stand-alone sandbox announced on this machine, if it still answers.

    A stale entry (nothing answers, or another sandbox run answers at that URL) is removed.
    """
    directory = runtime_dir or default_runtime_dir()
    entry = _read_announcement(directory)
    if entry is None:
        return None
    try:
        endpoints = describe_remote(entry.url, timeout_s=2.0)
    except ConfigurationError:
        endpoints = None
    if endpoints is not None and endpoints.instance_id == entry.instance_id:
        return endpoints
    entry.withdraw()
    return None


_background: list[subprocess.Popen[bytes]] = []


def start_background_sandbox(
    sandbox_args: Sequence[str] = (),
    *,
    runtime_dir: Path | None = None,
    timeout_s: float = 60.0,
) -> SandboxEndpoints:
    """Start ``adstudio-nb sandbox`` as a background process and return it once it answers.

    It outlives the command that started it (its own session, no terminal), announces itself
    in the runtime file, and runs until stopped (:func:`stop_background_sandbox`, or
    ``adstudio-nb sandbox --stop``).

    Args:
        sandbox_args: further ``adstudio-nb sandbox`` options (``--seed``, ``--faults`` ...).
        runtime_dir: where it announces itself; None for the per-user runtime directory.
        timeout_s: how long to wait for it to answer.

    Raises:
        ConfigurationError: it stopped at once or did not answer in time.
    """
    directory = runtime_dir or default_runtime_dir()
    command = [sys.executable, "-m", "adstudio_nb.cli", "sandbox", "--background"]
    command += ["--announce-dir", str(directory), *sandbox_args]
    extra: dict[str, Any] = {"start_new_session": True}
    if sys.platform == "win32":
        extra = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
    # No inherited pipes: whoever reads this command's output must not wait for the sandbox.
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        **extra,
    )
    deadline = time.monotonic() + timeout_s
    while True:
        entry = _read_announcement(directory)
        if entry is not None and entry.pid == process.pid:
            _background.append(process)  # it lives on by design; keep its handle meanwhile
            return describe_remote(entry.url)
        code = process.poll()
        if code is not None:
            raise ConfigurationError(
                f"The background sandbox stopped at once (exit status {code}): run "
                "`adstudio-nb sandbox` to see why."
            )
        if time.monotonic() > deadline:
            process.terminate()
            raise ConfigurationError(
                f"The background sandbox did not answer within {timeout_s:.0f} s: run "
                "`adstudio-nb sandbox` to see why."
            )
        time.sleep(0.05)


def stop_background_sandbox(
    *, runtime_dir: Path | None = None, timeout_s: float = 15.0
) -> str | None:
    """Stop the background sandbox announced on this machine; return its URL, or None.

    Raises:
        ConfigurationError: the announced sandbox runs in the foreground (``adstudio-nb
            sandbox`` or ``make demo`` in a terminal: stop it there), or did not stop in time.
    """
    import signal

    directory = runtime_dir or default_runtime_dir()
    endpoints = find_running_sandbox(runtime_dir=directory)
    entry = _read_announcement(directory)
    if endpoints is None or entry is None:
        return None
    if not entry.background:
        raise ConfigurationError(
            f"The sandbox at {entry.url} runs in a terminal (process {entry.pid}): stop it there "
            "with Ctrl-C."
        )
    with contextlib.suppress(ProcessLookupError):
        os.kill(entry.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _read_announcement(directory) == entry:
        if time.monotonic() > deadline:
            raise ConfigurationError(
                f"The background sandbox (process {entry.pid}) did not stop within "
                f"{timeout_s:.0f} s: end that process yourself."
            )
        time.sleep(0.05)
    return entry.url


# -- a scripted person on the sandbox's login page ------------------------------------------------


class ConsentPageError(RuntimeError):
    """The authorize URL did not lead to the sandbox's consent form."""


def consent(
    authorize_url: str,
    *,
    user: str = DEMO_USER,
    password: str = DEMO_PASSWORD,
    approve: bool = True,
    session: requests.Session | None = None,
    timeout_s: float = 10.0,
) -> str:
    """Open ``authorize_url``, log in as ``user`` and click Agree (or Cancel).

    Returns:
        The redirect the browser would follow: the app's redirect URI with ``code`` and
        ``state``, or with ``error=access_denied`` (A3). The redirect is not followed.

    Raises:
        ConsentPageError: the page is an error page (A2) or not the sandbox's consent form.
    """
    http = session or requests.Session()
    page = http.get(authorize_url, allow_redirects=False, timeout=timeout_s)
    if page.status_code in (301, 302, 303):
        return page.headers["Location"]  # consented before, no show_dialog (A1)
    match = _PENDING.search(page.text) if page.status_code == 200 else None
    if match is None:
        raise ConsentPageError(
            f"The authorize URL answered {page.status_code} without a consent form."
        )
    parts = urlsplit(authorize_url)
    answer = http.post(
        f"{parts.scheme}://{parts.netloc}/authorize/decision",
        data={
            "pending": match.group(1),
            "user": user,
            "password": password,
            "decision": "agree" if approve else "cancel",
        },
        allow_redirects=False,
        timeout=timeout_s,
    )
    if answer.status_code not in (302, 303):
        raise ConsentPageError(f"The consent form answered {answer.status_code}, not a redirect.")
    return answer.headers["Location"]


def token_response(
    sandbox: Sandbox, *, user: str = DEMO_USER, app: SandboxApp | None = None
) -> dict[str, Any]:
    """Do the guide's whole code flow by hand (D2-D4, A1-A7) and return the token answer."""
    app = app or sandbox.demo_app
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": app.redirect_uris[0],
    }
    location = consent(sandbox.authorize_url + "?" + urlencode(query), user=user)
    answer = requests.post(
        sandbox.token_url,
        data={
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": app.redirect_uris[0],
        },
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def demo_login(flow: OAuthFlow, *, user: str = DEMO_USER) -> Token:
    """Log in to the sandbox as one of its demo users, with no browser (sandbox only).

    Analysis notebooks and shared walkthroughs run unattended on the sandbox; there is no
    person to protect there, so a scripted person consents on the sandbox's own page.

    Raises:
        ConfigurationError: the settings point at Spotify, where only a person may consent.
    """
    if flow.settings.target != "sandbox":
        raise ConfigurationError(
            "Only the sandbox has demo users: log in to Spotify with the login panel or "
            "`adstudio-nb login`."
        )
    login = flow.start_login()
    return flow.complete_login(consent(login.url, user=user), login)


__all__ = [
    "DEMO_APP_PATH",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "RUNTIME_FILE_NAME",
    "Announcement",
    "ConsentPageError",
    "SandboxEndpoints",
    "announce_sandbox",
    "consent",
    "default_runtime_dir",
    "demo_login",
    "describe_remote",
    "embedded_sandbox",
    "endpoints_of",
    "find_running_sandbox",
    "resolve_settings",
    "settings_for",
    "start_background_sandbox",
    "start_sandbox",
    "stop_background_sandbox",
    "token_response",
]
