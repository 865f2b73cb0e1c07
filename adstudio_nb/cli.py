"""The ``adstudio-nb`` command.

Subcommands:
    login     log in: opens the browser, catches the redirect or asks for it.
    status    say whether a login is stored, and until when it works (no token is printed).
    logout    forget the stored tokens.
    accounts  list the ad accounts (a table, or --csv / --json).
    share     run a notebook and write a redacted, self-contained HTML walkthrough.
    sandbox   run the Spotify sandbox stand-alone and print its URLs and demo credentials
              (``--detach``: in the background; ``--stop``: stop that one).
    demo      run a sandbox and JupyterLab on working copies of the notebooks, wired together.
    app       serve the onboarding notebook as an app without code (Voila).

With nothing configured the commands use the stand-alone sandbox that ``make demo`` or
``adstudio-nb sandbox`` runs (it announces itself on this machine), or the one
``ADSTUDIO_SANDBOX_URL`` names; when none runs, ``login`` starts one in the background and says
so, so that ``login``, ``status``, ``accounts`` and ``logout`` share it as separate commands.

Every failure prints one or two sentences saying what to do next, and exits non-zero.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .exceptions import AdStudioError, AuthorizationRequired
from .redaction import Secret

if TYPE_CHECKING:
    from .config import Settings
    from .demo import Sandbox
    from .session import LoginLink, Session, SessionView

NOTEBOOKS_DIR = Path("notebooks")
ONBOARDING_NOTEBOOK = NOTEBOOKS_DIR / "01_onboarding.ipynb"
# `make demo` serves copies here (git-ignored): JupyterLab's autosave writes outputs and widget
# state into what it serves, and the committed notebooks must stay without them.
DEMO_WORKSPACE = Path("work")
_WORKSPACE_MANIFEST = ".adstudio-copies.json"
_LOGIN_COMMAND = "`adstudio-nb login`"
_LOGIN_HINT = f"run {_LOGIN_COMMAND} first."


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adstudio-nb",
        description="Spotify Ads API onboarding and data loading for notebooks.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser("login", help="Log in and store the tokens.")
    _add_profile_option(login)
    login.add_argument(
        "--no-browser", action="store_true", help="Print the login URL instead of opening it."
    )
    login.add_argument(
        "--paste",
        action="store_true",
        help="Do not listen for the redirect: paste the address-bar URL (remote machines).",
    )
    login.add_argument(
        "--show-dialog", action="store_true", help="Ask Spotify to show the consent page again."
    )
    login.add_argument(
        "--timeout-s", type=float, default=300.0, help="How long to wait for the redirect."
    )
    for name, text in (
        ("status", "Show whether a login is stored and until when it works."),
        ("logout", "Forget the stored tokens."),
    ):
        _add_profile_option(commands.add_parser(name, help=text))
    accounts = commands.add_parser("accounts", help="List the ad accounts of the logged-in user.")
    _add_profile_option(accounts)
    output = accounts.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="Write CSV to standard output.")
    output.add_argument(
        "--json", action="store_true", help="Write JSON records to standard output."
    )

    share = commands.add_parser(
        "share", help="Run a notebook and write a redacted, self-contained HTML walkthrough."
    )
    share.add_argument("notebook", help="The .ipynb file.")
    share.add_argument("-o", "--output", help="The HTML file (default: next to the notebook).")
    share.add_argument(
        "--live",
        action="store_true",
        help="Run on the configured Spotify account instead of a private sandbox.",
    )
    share.add_argument("--hide-code", action="store_true", help="Leave the code cells out.")

    sandbox = commands.add_parser(
        "sandbox", help="Run the local Spotify sandbox until Ctrl-C and print how to use it."
    )
    _add_sandbox_options(sandbox)
    sandbox.add_argument(
        "--register-app",
        metavar="NAME",
        help="Also register an app with the given --redirect-uri values; print its credentials.",
    )
    sandbox.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="A redirect URI for --register-app (Spotify's redirect-URI rules apply).",
    )
    sandbox.add_argument(
        "--no-ads-access",
        action="store_true",
        help="Register --register-app as not yet allowed for the Ads API (answers 403).",
    )
    sandbox.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="Register --register-app with refresh-token rotation.",
    )
    sandbox.add_argument(
        "--shapes",
        choices=["spec", "published"],
        default="spec",
        help="Answer in the spec's shapes (spec) or as Spotify's published samples do "
        "(published: zero paging, null/absent/empty report endings, errorCodes, empty scope).",
    )
    sandbox.add_argument(
        "--fixed-secrets",
        action="store_true",
        help="Derive app secrets from --seed (reproducible, for scripted tests); random otherwise.",
    )
    running = sandbox.add_mutually_exclusive_group()
    running.add_argument(
        "--detach",
        action="store_true",
        help="Run it in the background and return; notebooks and commands here find it.",
    )
    running.add_argument(
        "--stop", action="store_true", help="Stop the sandbox started with --detach."
    )
    # Internal: how a background sandbox is started (see demo.start_background_sandbox).
    sandbox.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    sandbox.add_argument("--announce-dir", type=Path, default=None, help=argparse.SUPPRESS)

    demo = commands.add_parser(
        "demo", help="Run a sandbox and JupyterLab on working copies of the notebooks."
    )
    _add_sandbox_options(demo)
    demo.add_argument("--no-lab", action="store_true", help="Run only the sandbox.")
    demo.add_argument("--lab-port", type=int, default=8888, help="JupyterLab's port.")

    app = commands.add_parser(
        "app", help="Serve the onboarding notebook as an app without code (Voila)."
    )
    _add_sandbox_options(app)
    app.add_argument("--app-port", type=int, default=8866, help="The app's port.")
    app.add_argument(
        "--live",
        action="store_true",
        help="Use the configured Spotify app instead of a sandbox started for the app.",
    )
    return parser


def _add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", default=None, help="The token profile (several logins side by side)."
    )


def _add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (0: a free one).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the data and the app ids.")
    parser.add_argument("--scale", type=float, default=1.0, help="Size of the data set.")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="Added to Ads API answers.")
    parser.add_argument(
        "--rate-limits",
        choices=["on", "off", "scaled"],
        default="on",
        help="Spotify's limits (on), none (off), or the same counts in a shorter window (scaled).",
    )
    parser.add_argument(
        "--rate-limit-window-s",
        type=float,
        default=3.0,
        help="The window length with --rate-limits scaled.",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="Inject faults, e.g. rate=0.2,kinds=500+502+503+429+drop+truncate+slow,seed=1",
    )


def _start_sandbox(args: argparse.Namespace) -> Sandbox:
    from . import demo

    try:
        return demo.start_sandbox(
            port=args.port,
            seed=args.seed,
            scale=args.scale,
            latency_ms=args.latency_ms,
            rate_limits=args.rate_limits,
            rate_limit_window_s=args.rate_limit_window_s if args.rate_limits == "scaled" else 30.0,
            faults=args.faults,
            shapes=getattr(args, "shapes", "spec"),
            fixed_secrets=getattr(args, "fixed_secrets", False),
        )
    except ValueError as exc:
        raise SystemExit(f"adstudio-nb: {exc}") from None
    except OSError as exc:
        raise SystemExit(
            f"adstudio-nb: cannot listen on 127.0.0.1:{args.port} ({exc.strerror}). "
            "Choose another --port, or 0 for a free one."
        ) from None


def _describe(sandbox: Sandbox, *, show_secret: bool = True) -> str:
    app = sandbox.demo_app
    secret = app.client_secret if show_secret else "(handed to the notebook kernel, not shown)"
    lines = [
        f"Spotify sandbox running at {sandbox.base_url}",
        f"  authorize page   {sandbox.authorize_url}",
        f"  token endpoint   {sandbox.token_url}",
        f"  Ads API v3       {sandbox.api_base_url}",
        f"  guide's v1 call  {sandbox.v1_base_url}/currentUser/adAccounts",
        f"  dashboard        {sandbox.dashboard_url}",
        "Demo app (sandbox-only credentials):",
        f"  client id        {app.client_id}",
        f"  client secret    {secret}",
        f"  redirect URIs    {', '.join(app.redirect_uris)}",
        "Demo users: " + ", ".join(sandbox.registry.users) + " (password: demo)",
        f"Try it: open {sandbox.base_url}/ in a browser and follow 'Try the login'.",
    ]
    return "\n".join(lines)


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _sandbox_args(args: argparse.Namespace) -> list[str]:
    """The sandbox options of ``args`` as command-line arguments, for a background sandbox."""
    forwarded = [
        f"--port={args.port}",
        f"--seed={args.seed}",
        f"--scale={args.scale}",
        f"--latency-ms={args.latency_ms}",
        f"--rate-limits={args.rate_limits}",
        f"--rate-limit-window-s={args.rate_limit_window_s}",
        f"--shapes={args.shapes}",
    ]
    if args.faults:
        forwarded.append(f"--faults={args.faults}")
    if args.fixed_secrets:
        forwarded.append("--fixed-secrets")
    return forwarded


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from . import demo

    if args.stop:
        stopped = demo.stop_background_sandbox()
        print(f"Stopped the sandbox at {stopped}." if stopped else "No sandbox is running.")
        return 0
    if args.detach:
        if args.register_app:
            print(
                "adstudio-nb: --register-app prints the new app's credentials: run it without "
                "--detach.",
                file=sys.stderr,
            )
            return 2
        found = demo.find_running_sandbox()
        if found is not None:
            print(f"A sandbox already runs at {found.base_url}.")
            return 0
        started = demo.start_background_sandbox(_sandbox_args(args))
        print(
            f"Sandbox running in the background at {started.base_url}: notebooks and "
            "adstudio-nb commands on this computer use it. Stop it with "
            "`adstudio-nb sandbox --stop`."
        )
        return 0
    sandbox = _start_sandbox(args)
    announcement = None
    try:
        announcement = demo.announce_sandbox(
            sandbox.base_url,
            sandbox.instance_id,
            background=args.background,
            runtime_dir=args.announce_dir,
        )
        print(_describe(sandbox), flush=True)
        if args.register_app:
            app = sandbox.register_app(
                args.register_app,
                redirect_uris=args.redirect_uri or ["http://127.0.0.1/callback"],
                ads_allowed=not args.no_ads_access,
                rotate_refresh_tokens=args.rotate_refresh_tokens,
            )
            print(
                f"Registered app {app.name!r}: client id {app.client_id}, "
                f"client secret {app.client_secret}, redirect URIs {', '.join(app.redirect_uris)}",
                flush=True,
            )
        print("Press Ctrl-C to stop.", flush=True)
        _wait_for_interrupt()
    except ValueError as exc:
        print(f"adstudio-nb: {exc}", file=sys.stderr)
        return 2
    finally:
        if announcement is not None:
            announcement.withdraw()
        sandbox.stop()
    return 0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_workspace(source: Path, workspace: Path) -> list[str]:
    """Copy the notebooks into the demo's workspace; return what to tell the user.

    JupyterLab saves outputs and widget state into the notebooks it serves, so ``make demo``
    serves copies and the committed notebooks stay clean. A copy the user has changed is kept,
    and the returned notes say so when the original has changed since it was copied.

    Args:
        source: the committed notebooks (``notebooks/``).
        workspace: the git-ignored directory JupyterLab serves (``work/``).
    """
    workspace.mkdir(parents=True, exist_ok=True)
    manifest_path = workspace / _WORKSPACE_MANIFEST
    try:
        copied: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        copied = {}
    notes = []
    for original in sorted(source.glob("*.ipynb")):
        target = workspace / original.name
        fresh = _digest(original)
        if target.exists():
            mine = _digest(target)
            if fresh == copied.get(original.name) or mine == fresh:
                copied[original.name] = fresh
                continue  # up to date, or the user's copy of the same original
            if mine != copied.get(original.name):
                notes.append(
                    f"Kept your copy {target}: {original} has changed since it was copied. "
                    "Delete your copy to get the new one."
                )
                continue
        shutil.copyfile(original, target)
        copied[original.name] = fresh
    manifest_path.write_text(json.dumps(copied, indent=1, sort_keys=True), encoding="utf-8")
    return notes


def lab_command(workspace: Path, notebook: str, *, port: int) -> list[str]:
    """Return the JupyterLab command ``adstudio-nb demo`` runs: the workspace, one notebook open."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={workspace.resolve()}",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--LabApp.default_url=/lab/tree/{notebook}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo
    from .config import SANDBOX_URL_VARIABLE

    sandbox = _start_sandbox(args)
    announcement = None
    try:
        # Commands in another terminal (`adstudio-nb status` ...) find this sandbox.
        announcement = demo.announce_sandbox(sandbox.base_url, sandbox.instance_id)
        print(_describe(sandbox, show_secret=args.no_lab), flush=True)
        notebook = ONBOARDING_NOTEBOOK
        if args.no_lab or not notebook.exists():
            if not notebook.exists():
                print(f"({notebook} is not there yet: serving the sandbox only.)", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            _wait_for_interrupt()
            return 0
        if importlib.util.find_spec("jupyterlab") is None:
            print("JupyterLab is not installed here: run `make demo`, which installs it.")
            return 1
        for note in prepare_workspace(NOTEBOOKS_DIR, DEMO_WORKSPACE):
            print(note, flush=True)
        env = {**os.environ, SANDBOX_URL_VARIABLE: sandbox.base_url}
        lab = lab_command(DEMO_WORKSPACE, notebook.name, port=args.lab_port)
        print(
            f"Starting JupyterLab on {DEMO_WORKSPACE / notebook.name}, a working copy of "
            f"{notebook} (sandbox: {sandbox.base_url}) ...",
            flush=True,
        )
        try:
            return subprocess.call(lab, env=env, cwd=DEMO_WORKSPACE)  # noqa: S603 (our args)
        except KeyboardInterrupt:
            return 0
    finally:
        if announcement is not None:
            announcement.withdraw()
        sandbox.stop()


class _NoSandbox(Exception):
    """No sandbox runs and this command does not start one."""


def _settings(args: argparse.Namespace, *, start_sandbox: bool) -> Settings:
    """The configured settings, with the zero-configuration sandbox found or started."""
    from . import demo
    from .config import load_settings

    settings = load_settings(profile=args.profile)
    wants_any = not settings.is_resolved and not settings.sandbox_url
    if wants_any and demo.find_running_sandbox() is None:
        if not start_sandbox:
            raise _NoSandbox
        started = demo.start_background_sandbox()
        print(
            f"No Spotify app is configured and no sandbox was running: started one in the "
            f"background at {started.base_url}, which keeps this login for the next "
            "commands. Stop it with `adstudio-nb sandbox --stop`.",
            file=sys.stderr,
            flush=True,
        )
    return demo.resolve_settings(settings, in_process=False)


def _session(
    args: argparse.Namespace, *, start_sandbox: bool = False, listen_timeout_s: float | None = None
) -> Session:
    """This profile's login session (the process's one), on the settings found or started.

    Raises:
        _NoSandbox: nothing is configured, no sandbox runs, and ``start_sandbox`` is False.
        ConfigurationError: the settings cannot work (the message says what to fix).
    """
    from .exceptions import ConfigurationError
    from .session import LoginState, onboarding

    settings = _settings(args, start_sandbox=start_sandbox)
    if settings.custom_target_notice:
        # Standard error: `accounts --csv/--json` keep standard output for the data.
        print(f"Warning: {settings.custom_target_notice}", file=sys.stderr, flush=True)
    session = onboarding(settings, listen_timeout_s=listen_timeout_s)
    if session.view.state is LoginState.NOT_CONFIGURED:
        message = session.view.message
        session.close()
        raise ConfigurationError(message)
    return session


def _not_logged_in(view: SessionView) -> str:
    """Say in a terminal's words that nobody is logged in, and how to log in."""
    from .session import LoginState

    if view.state in (LoginState.REVOKED, LoginState.EXPIRED, LoginState.FORGOTTEN):
        return f"{view.message} Log in with {_LOGIN_COMMAND}."
    return f"Not logged in: {_LOGIN_HINT}"


def _render(view: SessionView) -> str:
    """The session's view in a terminal's words: where, who, until when; never a token."""
    lines = [f"Connects to {view.where}."]
    if not view.is_logged_in:
        lines.append(_not_logged_in(view))
        return "\n".join(lines)
    lines.append(view.message)
    token = view.token
    if token is not None and token.logged_in:
        lines.append(
            f"Access token {token.fingerprint}… (a fingerprint, not the token) expires "
            f"{_stamp(token.expires_at)}; log in again before {_stamp(token.refresh_expires_at)}."
        )
        lines.append(f"Tokens are stored in {token.store_location}.")
    return "\n".join(lines)


def _stamp(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else "an unknown time"


def _read_pasted_redirect() -> Secret:
    prompt = "After clicking Agree, paste the address-bar URL (it is not shown): "
    if sys.stdin.isatty():
        return Secret(getpass.getpass(prompt))
    print(prompt, file=sys.stderr, flush=True)
    return Secret(sys.stdin.readline().strip())


def _wait_for_listener(session: Session, link: LoginLink, *, timeout_s: float) -> None:
    """Wait until the listener's login ends: logged in, or its link replaced or failed.

    Bounded: the listener gives up after ``timeout_s``, and so does this wait soon after.
    Ctrl-C (KeyboardInterrupt) ends it early.
    """
    ended = threading.Event()

    def seen(view: SessionView) -> None:
        replaced = view.link is None or view.link.url != link.url
        if view.is_logged_in or replaced or view.tone == "error":
            ended.set()

    unsubscribe = session.subscribe(seen)
    try:
        seen(session.view)  # it may have ended before the subscription
        deadline = time.monotonic() + timeout_s + 30.0
        while not ended.wait(0.25) and time.monotonic() < deadline:
            pass
    finally:
        unsubscribe()


def _cmd_login(args: argparse.Namespace) -> int:
    from .exceptions import CallbackTimeout

    session = _session(args, start_sandbox=True, listen_timeout_s=args.timeout_s)
    try:
        link = session.start_login(show_dialog=args.show_dialog, listen=not args.paste)
        print(f"Log in here:\n  {link.url}", flush=True)
        if not args.no_browser:
            webbrowser.open(link.url, new=2)
        if link.is_listening:
            attempt = session.attempt
            print(
                f"Waiting for the redirect on {link.redirect_uri} "
                "(Ctrl-C to paste the address-bar URL instead)...",
                flush=True,
            )
            try:
                _wait_for_listener(session, link, timeout_s=args.timeout_s)
            except KeyboardInterrupt:
                pass  # the same link's redirect may be pasted below
            else:
                if session.view.is_logged_in:
                    print(_render(session.view))
                    return 0
                listener = attempt.listener if attempt is not None else None
                if listener is None or not isinstance(listener.error, CallbackTimeout):
                    # Cancel, or a code the accounts service refused: the view says which.
                    print(
                        f"adstudio-nb: {session.view.message} Run {_LOGIN_COMMAND} again.",
                        file=sys.stderr,
                    )
                    return 1
                # Nobody came back in time: the paste path still works, with a fresh link.
                link = session.start_login(show_dialog=args.show_dialog, listen=False)
                print(
                    f"No login arrived within {args.timeout_s:.0f} s. Log in with this fresh "
                    f"link and paste the address-bar URL after Agree:\n  {link.url}",
                    flush=True,
                )
        elif link.paste_reason:
            print(link.paste_reason, file=sys.stderr)
        try:
            session.finish_login(_read_pasted_redirect())
        except AuthorizationRequired:
            raise
        except AdStudioError as exc:
            print(f"adstudio-nb: {exc} Run {_LOGIN_COMMAND} again.", file=sys.stderr)
            return 1
        print(_render(session.view))
        return 0
    finally:
        session.close()


def _cmd_status(args: argparse.Namespace) -> int:
    try:
        session = _session(args)
    except _NoSandbox:
        print(f"Not logged in: no sandbox is running on this computer; {_LOGIN_HINT}")
        return 1
    try:
        view = session.view
        print(_render(view))
        return 0 if view.is_logged_in else 1
    finally:
        session.close()


def _cmd_logout(args: argparse.Namespace) -> int:
    try:
        session = _session(args)
    except _NoSandbox:
        print("Nothing to forget: no sandbox is running on this computer.")
        return 0
    try:
        before = session.view
        where = before.token.store_location if before.token is not None else "this computer"
        session.forget()
        if not before.is_logged_in:
            print(f"No login was stored ({where}): nothing to forget.")
            return 0
        print(f"Tokens forgotten ({where}). {session.view.message}")
        return 0
    finally:
        session.close()


def _cmd_accounts(args: argparse.Namespace) -> int:
    from .session import connect

    try:
        session = _session(args)
    except _NoSandbox:
        print(
            f"adstudio-nb: Not logged in: no sandbox is running on this computer; {_LOGIN_HINT}",
            file=sys.stderr,
        )
        return 1
    try:
        if not session.view.is_logged_in:
            # connect() would log a sandbox demo user in by itself: here the user chooses.
            print(f"adstudio-nb: {_not_logged_in(session.view)}", file=sys.stderr)
            return 1
        # The accounts listing is never kept, so no local store is opened for it.
        frame = connect(settings=session.settings, store=False).ad_accounts()
    finally:
        session.close()
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
    elif args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    if frame.empty:
        # Data formats stay valid (a header, []); the explanation goes beside them.
        print(
            "No ad accounts: the logged-in user is not a member of any business with ad "
            "accounts. Ask an admin of your business in Ads Manager to add you, or log in as "
            "someone else with `adstudio-nb login --show-dialog`.",
            file=sys.stderr if args.csv or args.json else sys.stdout,
        )
        return 0
    if not (args.csv or args.json):
        columns = [c for c in ACCOUNT_COLUMNS if c in frame.columns]
        print(frame[columns].to_string(index=False))
    return 0


def _cmd_share(args: argparse.Namespace) -> int:
    from .share import share_notebook

    report = share_notebook(args.notebook, args.output, live=args.live, hide_code=args.hide_code)
    print(str(report))
    return 0


ACCOUNT_COLUMNS = ["name", "currency_code", "country_code", "status", "ad_account_role", "id"]


def _cmd_app(args: argparse.Namespace) -> int:
    from .config import SANDBOX_URL_VARIABLE

    notebook = ONBOARDING_NOTEBOOK
    if not notebook.exists():
        print(f"{notebook} is not here: run this from the project's folder.", file=sys.stderr)
        return 1
    sandbox = None if args.live else _start_sandbox(args)
    try:
        env = dict(os.environ)
        if sandbox is not None:
            print(_describe(sandbox, show_secret=False), flush=True)
            env[SANDBOX_URL_VARIABLE] = sandbox.base_url
        command = [
            sys.executable,
            "-m",
            "voila",
            str(notebook),
            "--no-browser",
            f"--port={args.app_port}",
            "--Voila.ip=127.0.0.1",
        ]
        print(f"Serving the onboarding app at http://127.0.0.1:{args.app_port}/ ...", flush=True)
        try:
            return subprocess.call(command, env=env)  # noqa: S603 (our interpreter and args)
        except KeyboardInterrupt:
            return 0
    finally:
        if sandbox is not None:
            sandbox.stop()


def _login_step(reason: str) -> str:
    """Add the terminal's way of logging in to a refusal that does not name it."""
    from .auth import NOT_LOGGED_IN

    if reason == NOT_LOGGED_IN:
        return f"Not logged in: {_LOGIN_HINT}"
    if "adstudio-nb login" in reason:
        return reason
    return f"{reason} Log in with {_LOGIN_COMMAND}."


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``adstudio-nb`` command line; return the exit status."""
    args = _build_parser().parse_args(argv)
    handlers = {
        "login": _cmd_login,
        "status": _cmd_status,
        "logout": _cmd_logout,
        "accounts": _cmd_accounts,
        "share": _cmd_share,
        "sandbox": _cmd_sandbox,
        "demo": _cmd_demo,
        "app": _cmd_app,
    }
    try:
        return handlers[args.command](args)
    except AuthorizationRequired as exc:
        # The flow says only that a login is needed; a terminal logs in by command.
        print(f"adstudio-nb: {_login_step(str(exc))}", file=sys.stderr)
        return 1
    except AdStudioError as exc:
        print(f"adstudio-nb: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("adstudio-nb: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
