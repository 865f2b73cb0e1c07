"""The notebook panels: onboarding with buttons instead of curl and base64.

Each panel is an ipywidgets box a cell shows with one call (:func:`setup_panel`,
:func:`login_panel`, :func:`token_panel`, :func:`accounts_panel`, :func:`when_authorized`,
:func:`report_explorer`).
Panels are presentation only: each renders the kernel's one
:class:`~adstudio_nb.session.Session` view, again after every transition of it (a login, a
refresh, Forget, a revoked login, other settings), and forwards clicks to the session. So the
panels never contradict each other, and a cell run before the login ("Run All") shows a waiting
panel that fills in by itself.

ipywidgets swallows exceptions raised in click handlers; here every handler runs inside
:meth:`_Panel._working`, which shows a plain-language error with the next step and keeps the
exception on ``panel.last_error`` (tests assert on it). No panel ever shows a token, a code or a
secret: only fingerprints and times.

The texts are written for people who do not read code: the same panels serve the notebook and
the app view without code (Voila).

Example:
    >>> from adstudio_nb import widgets
    >>> panel = widgets.login_panel()          # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import ipywidgets as w
import pandas as pd

from .ads import METRICS, WaitNotice
from .config import (
    load_settings,
    static_outputs,
    validate_client_id,
)
from .demo import resolve_settings
from .exceptions import AdStudioError, ConfigurationError, InvalidArgument
from .login import LoginAttempt, explain
from .redaction import Secret
from .redirect_uris import validate_redirect_uri
from .session import LoginState, Session, SessionView, onboarding, set_login_presenter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "NO_AD_ACCOUNTS",
    "AccountPicker",
    "LoginPanel",
    "ReportExplorer",
    "SetupPanel",
    "TokenPanel",
    "WhenAuthorized",
    "account_picker",
    "accounts_panel",
    "login_panel",
    "report_call",
    "report_explorer",
    "setup_panel",
    "token_panel",
    "when_authorized",
]

log = logging.getLogger(__name__)

_STYLE = """
<style>
.adstudio-panel { border-left: 4px solid #1db954; padding: 4px 12px; }
.adstudio-ok { color: #107a3a; } .adstudio-error { color: #b00020; }
.adstudio-wait { color: #555; } .adstudio-hint { color: #8a5a00; }
.adstudio-custom { background: #fff4e5; border: 2px solid #b35900; color: #6b3300;
  font-weight: 700; padding: 6px 10px; margin: 4px 0; }
a.adstudio-link { display: inline-block; background: #1db954; color: #000 !important;
  font-weight: 700; padding: 6px 18px; border-radius: 500px; text-decoration: none; }
/* The app view (Voila) gives widget HTML no code font of its own. */
pre.adstudio-call { font-family: var(--jp-code-font-family, monospace), monospace;
  line-height: 1.4; }
</style>
"""

NO_AD_ACCOUNTS = (
    "This Spotify user has no ad accounts yet: create one in Spotify Ads Manager, or ask an "
    "admin of your business to add you to theirs; then load them again."
)
"""What the accounts panel says for a user without an ad account (instead of an empty table)."""
_NO_AD_ACCOUNTS_SANDBOX = (
    " On the sandbox, log in again as alex.analyst (password demo) to see demo ad accounts."
)
_WAITING = "Waiting for authorization: this fills in by itself once you log in above."
_ENDED = (LoginState.REVOKED, LoginState.EXPIRED, LoginState.FORGOTTEN)


def _html(kind: str, text: str) -> str:
    return f"{_STYLE}<div class='adstudio-{kind}'>{html.escape(text)}</div>"


def _custom_banner(view: SessionView) -> str:
    """The warning every panel carries when credentials go somewhere other than Spotify."""
    return _html("custom", f"⚠ {view.custom_notice}") if view.custom_notice else ""


class _Panel(w.VBox):
    """A box with a status line that renders every session view.

    Handlers run in :meth:`_working`, so failures are shown.
    """

    def __init__(self, session: Session, title: str, **kwargs: Any) -> None:
        self.session = session
        self.title = w.HTML(f"<b>{html.escape(title)}</b>")
        # Right under the title of every panel: where credentials go, if not to Spotify.
        self.banner = w.HTML()
        self.status = w.HTML()
        self.last_error: BaseException | None = None
        super().__init__(**kwargs)
        self.add_class("adstudio-panel")
        session.subscribe(self._on_view)

    def _on_view(self, view: SessionView) -> None:
        self.banner.value = _custom_banner(view)
        self.banner.layout.display = None if self.banner.value else "none"
        self.render(view)

    def render(self, view: SessionView) -> None:
        """Show ``view`` (each panel shows its part of it)."""

    def _show(self, kind: str, text: str) -> None:
        self.status.value = _html(kind, text) if text else ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as a live widget, or as static HTML when sharing a walkthrough."""
        if not static_outputs():
            return super()._repr_mimebundle_(**kwargs)
        return {"text/plain": repr(self), "text/html": self.static_html()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title.value}>"

    def static_html(self) -> str:
        """Render the panel's text and results as plain HTML (no widget, no script)."""
        parts = "".join(_static_html(child) for child in self.children)
        return f"<div style='border-left:4px solid #1db954;padding:4px 12px'>{parts}</div>"

    @contextlib.contextmanager
    def _working(self, what: str) -> Iterator[None]:
        """Show that ``what`` is under way; show any failure plainly instead of raising."""
        self._show("wait", f"{what}…")
        self.last_error = None
        try:
            yield
        except Exception as exc:
            self.last_error = exc
            self._show("error", explain(exc))
            if not isinstance(exc, AdStudioError):
                log.warning("%s failed: %s", what, type(exc).__name__)

    def _on_click(self, handler: Callable[[], None]) -> Callable[[w.Button], None]:
        def run(_button: w.Button) -> None:
            try:
                handler()
            except Exception as exc:  # last line of defence: ipywidgets would swallow it
                self.last_error = exc
                self._show("error", explain(exc))

        return run


class SetupPanel(_Panel):
    """App set-up: client id, secret, redirect URI, with live validation and fix hints."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, "1. Your Spotify app")
        s = session.settings
        mine = s is not None and s.target != "sandbox"
        self.client_id = w.Text(
            value=s.client_id if mine and s is not None else "",
            description="Client id",
            placeholder="32 hex characters from the developer dashboard",
        )
        self.client_secret = w.Password(
            description="Secret", placeholder="kept in this kernel only, never saved"
        )
        self.redirect_uri = w.Text(
            value=s.redirect_uri if mine and s is not None else "",
            description="Redirect URI",
            placeholder="http://127.0.0.1/callback",
        )
        self.hint = w.HTML()
        self.hosts = w.HTML()
        self.apply_button = w.Button(description="Use this app", icon="check")
        self.apply_button.on_click(self._on_click(self.apply))
        for field in (self.client_id, self.client_secret, self.redirect_uri):
            field.observe(lambda _change: self.validate(), names="value")
        self.children = [
            self.title,
            self.banner,
            self.hosts,
            self.client_id,
            self.client_secret,
            self.redirect_uri,
            self.hint,
            self.apply_button,
            self.status,
        ]
        self._on_view(session.view)

    def render(self, view: SessionView) -> None:
        """Say which app and hosts are in use."""
        s = view.settings
        if s is None:
            self.hosts.value = _html("error", view.message)
        elif s.target == "sandbox":
            host = s.authorize_url.rsplit("/", 1)[0]
            self.hosts.value = _html(
                "wait",
                f"Using the sandbox (a local stand-in for Spotify) at {host} with its demo app. "
                "Enter your own app below to use real Spotify.",
            )
        else:
            where = "Spotify" if s.target == "spotify" else "a custom target"
            self.hosts.value = _html(
                "wait",
                f"Using {where} with the app {s.client_id[:6]}…: login at {s.authorize_url}, "
                f"Ads API at {s.api_base_url}.",
            )
        self._show("", "")

    def validate(self) -> str | None:
        """Check the fields as they are typed; show a fix hint; return the problem or None."""
        problem: str | None = None
        try:
            if self.client_id.value.strip():
                validate_client_id(
                    self.client_id.value.strip(),
                    client_secret=self.client_secret.value.strip() or None,
                )
            if self.redirect_uri.value.strip():
                validate_redirect_uri(self.redirect_uri.value.strip())
        except ConfigurationError as exc:
            problem = str(exc)
        self.hint.value = _html("hint", problem) if problem else ""
        return problem

    def apply(self) -> None:
        """Switch the notebook to the app typed in (real Spotify hosts)."""
        with self._working("Checking the app settings"):
            settings = resolve_settings(
                load_settings(
                    client_id=self.client_id.value.strip() or None,
                    client_secret=self.client_secret.value.strip() or None,
                    redirect_uri=self.redirect_uri.value.strip() or None,
                    target="spotify" if self.client_id.value.strip() else None,
                )
            )
            self.session.use(settings)


class LoginPanel(_Panel):
    """Open Spotify's login, catch the redirect (or take a pasted one), exchange the code."""

    def __init__(self, session: Session, *, listen: bool | None = None) -> None:
        super().__init__(session, "2. Log in to Spotify")
        self.listen = listen
        self.link = w.HTML()
        self.how = w.HTML()
        self.paste = w.Text(
            description="Address",
            placeholder="after clicking Agree: paste the whole address-bar URL",
            layout=w.Layout(width="95%"),
        )
        self.exchange_button = w.Button(description="Exchange code", icon="key")
        self.exchange_button.on_click(self._on_click(self.exchange_pasted))
        self.new_login_button = w.Button(description="New login link", icon="refresh")
        self.new_login_button.on_click(self._on_click(self.start))
        self.paste_row = w.HBox([self.paste, self.exchange_button])
        self.children = [
            self.title,
            self.banner,
            self.link,
            self.how,
            self.paste_row,
            self.new_login_button,
            self.status,
        ]
        self._on_view(session.view)
        view = session.view
        if view.settings is not None and not view.is_logged_in:
            with self._working("Preparing the Spotify login"):
                attempt = session.attempt
                if (
                    listen is not None
                    and attempt is not None
                    and ((attempt.listener is not None) != listen)
                ):
                    session.start_login(listen=listen)
                else:
                    session.ensure_login_link(listen=listen)

    @property
    def attempt(self) -> LoginAttempt | None:
        """Return the session's open login attempt, or None."""
        return self.session.attempt

    def start(self) -> None:
        """Open a fresh login link; once logged in (or after a revoke), log in again."""
        with self._working("Preparing the Spotify login"):
            view = self.session.view
            again = view.is_logged_in or view.state in _ENDED
            # Logging in again may be as another user: show the consent page again (A1).
            self.session.start_login(show_dialog=again, listen=self.listen)

    def exchange_pasted(self) -> None:
        """Exchange the pasted address-bar URL or code for tokens."""
        with self._working("Exchanging the code for tokens"):
            # Held hidden at once: a verbose traceback of this frame shows <hidden>.
            pasted = Secret(self.paste.value)
            self.paste.value = ""  # the code must not linger in the widget
            self.session.finish_login(pasted)

    def render(self, view: SessionView) -> None:
        """Show the login link and how it comes back, or who is logged in."""
        link = view.link
        s = view.settings
        if link is not None and s is not None:
            url = html.escape(link.url, quote=True)
            # The custom target's login is not Spotify's: the link says where it goes.
            label = (
                f"Open the login at {urlsplit(s.authorize_url).netloc}"
                if s.target == "custom"
                else "Open Spotify login"
            )
            self.link.value = (
                f"{_STYLE}<a class='adstudio-link' href='{url}' target='_blank' "
                f"rel='noopener noreferrer'>{html.escape(label)}</a>"
            )
            if link.is_listening:
                self.how.value = _html(
                    "wait",
                    "Log in and click Agree in the new tab: this page notices by itself. If "
                    "nothing happens, paste the address the browser shows after Agree below.",
                )
            else:
                self.how.value = _html("hint", link.paste_reason or "")
            self.paste_row.layout.display = None
        else:
            self.link.value = ""
            self.how.value = ""
            self.paste_row.layout.display = "none"  # nothing to paste without a login link
        again = view.is_logged_in or view.state in _ENDED
        self.new_login_button.description = "Log in again" if again else "New login link"
        self.new_login_button.layout.display = "none" if s is None else None
        self._show(view.tone, view.message)


class TokenPanel(_Panel):
    """Token status (no token shown), Refresh, Forget tokens, and the dashboard link."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, "3. Tokens")
        self.details = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(self._on_click(self.refresh))
        self.forget_button = w.Button(description="Forget tokens", icon="trash")
        self.forget_button.on_click(self._on_click(self.forget))
        self.dashboard = w.HTML()
        self.children = [
            self.title,
            self.banner,
            self.details,
            w.HBox([self.refresh_button, self.forget_button]),
            self.dashboard,
            self.status,
        ]
        self._on_view(session.view)

    def update(self) -> None:
        """Show the session's current view again."""
        self._on_view(self.session.view)

    def render(self, view: SessionView) -> None:
        """Show the token state: who, fingerprint, expiry, refresh horizon."""
        if view.dashboard_url:
            url = html.escape(view.dashboard_url, quote=True)
            label = "sandbox dashboard" if view.target == "sandbox" else "developer dashboard"
            self.dashboard.value = (
                f"Revoke access in the <a href='{url}' target='_blank' rel='noopener'>{label}</a>"
                "; the next refresh then asks you to log in again."
            )
        else:
            self.dashboard.value = ""
        self._show("", "")
        status = view.token
        if not view.is_logged_in or status is None or not status.logged_in:
            if view.state in _ENDED or view.state is LoginState.NOT_CONFIGURED:
                kind = "hint" if view.state is LoginState.FORGOTTEN else "error"
                self.details.value = _html(kind, view.message)
            else:
                self.details.value = _html("wait", "Not logged in yet: use the login above.")
            return
        now = datetime.now(UTC)
        rows = {
            "Logged in": _who_line(view),
            "Since": _relative(status.authorized_at, now),
            "Token": f"{status.fingerprint}… (a fingerprint, not the token)",
            "Access token expires": _relative(status.expires_at, now),
            "Log in again before": _relative(status.refresh_expires_at, now),
            "Stored in": status.store_location,
        }
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows.items()
        )
        table = f"{_STYLE}<table class='adstudio-token'>{body}</table>"
        if view.state is LoginState.REFRESH_FAILING:
            table += _html("hint", view.message)
        self.details.value = table

    def refresh(self) -> None:
        """Get a new access token with the stored refresh token (A8)."""
        with self._working("Refreshing the access token"):
            token = self.session.refresh()
            self._show("ok", f"Refreshed: new token {token.fingerprint}….")

    def forget(self) -> None:
        """Forget the stored tokens (the app's access stays granted until revoked)."""
        with self._working("Forgetting the tokens"):
            self.session.forget()


class WhenAuthorized(_Panel):
    """Run a function once logged in and show its result; wait politely until then.

    The result is loaded again after every new login, and cleared when the login ends
    (Forget, revoked, expired) or the settings change.
    """

    def __init__(
        self,
        session: Session,
        title: str,
        load: Callable[[Session], Any],
        *,
        button: str = "Load",
        view: Callable[[Any], Any] | None = None,
        empty_message: str | None = None,
    ) -> None:
        super().__init__(session, title)
        self._load = load
        self._view = view or (lambda result: result)
        self._empty_message = empty_message
        self.result: Any = None
        self.output = w.Output()
        self.reload_button = w.Button(
            description=button, icon="download", layout=w.Layout(width="auto")
        )
        self.reload_button.on_click(self._on_click(self.run))
        self.children = [self.title, self.banner, self.reload_button, self.status, self.output]
        self._ran_for: int | None = None
        self._on_view(session.view)

    def render(self, view: SessionView) -> None:
        """Load after a new login; clear when the login ends; say why it waits."""
        if view.is_logged_in:
            if self._ran_for != view.login_serial:
                self.run()
            elif view.state is LoginState.REFRESH_FAILING:
                self._show("hint", view.message)
            return
        self.result = None
        self._ran_for = None
        self._clear_output()
        if view.state is LoginState.NOT_CONFIGURED:
            self._show("error", view.message)
        elif view.state in _ENDED:
            kind = "hint" if view.state is LoginState.FORGOTTEN else "error"
            self._show(kind, f"{view.message} This fills in by itself once you log in again.")
        else:
            self._show("wait", _WAITING)

    def _clear_output(self) -> None:
        # Only when there is something to clear: a needless clear_output message trips
        # nbclient's output-widget bookkeeping when widget state is not stored.
        if self.output.outputs:
            self.output.outputs = ()

    def run(self) -> None:
        """Load now and show the result under the panel."""
        serial = self.session.view.login_serial
        with self._working("Loading"):
            result = self._load(self.session)
            self._clear_output()
            rows = getattr(result, "shape", (None,))[0]
            if isinstance(result, str):  # a loader's own message, such as "no ad account"
                self._show("hint", result)
            elif rows == 0 and self._empty_message:
                self._show("hint", self._empty_message)
            else:
                self.output.append_display_data(self._view(result))
                self._show("ok", f"Loaded {rows} rows." if rows is not None else "Loaded.")
            # Last: another thread waiting for the result finds the panel complete.
            self._ran_for = serial
            self.result = result


def _static_html(widget: w.Widget) -> str:
    """Render one widget's visible content as HTML; inputs and buttons are left out."""
    if isinstance(widget, w.HTML):
        return f"<div>{widget.value}</div>"
    if isinstance(widget, w.Box):
        return "".join(_static_html(child) for child in widget.children)
    if isinstance(widget, w.Output):
        return "".join(_static_output(output) for output in widget.outputs)
    return ""


def _static_output(output: dict[str, Any]) -> str:
    data = output.get("data", {})
    if "text/html" in data:
        return str(data["text/html"])
    if "image/png" in data:
        return f"<img src='data:image/png;base64,{data['image/png']}'>"
    text = data.get("text/plain") or output.get("text", "")
    return f"<pre>{html.escape(str(text))}</pre>"


def _relative(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "unknown"
    seconds = (when - now).total_seconds()
    stamp = when.strftime("%Y-%m-%d %H:%M UTC")
    span = abs(seconds)
    amount = (
        f"{span / 86400:.0f} days"
        if span >= 2 * 86400
        else f"{span / 3600:.1f} h"
        if span >= 3600
        else f"{span / 60:.0f} min"
    )
    return f"{stamp} (in {amount})" if seconds >= 0 else f"{stamp} ({amount} ago)"


def _who_line(view: SessionView) -> str:
    """Say who is logged in where: Spotify's Ads API names no user, the sandbox does."""
    if view.target == "sandbox":
        return f"as {view.who} on the sandbox" if view.who else "to the sandbox"
    if view.target == "spotify":
        return "to Spotify"
    settings = view.settings
    return f"at {urlsplit(settings.authorize_url).netloc}" if settings is not None else ""


def _load_ad_accounts(session: Session) -> Any:
    return session.ads().ad_accounts()


# What a person scans first; the full frame stays on the panel's ``result``.
_ACCOUNT_VIEW = ["name", "currency_code", "country_code", "status", "ad_account_role", "id"]


def _account_view(frame: Any) -> Any:
    columns = [c for c in _ACCOUNT_VIEW if c in getattr(frame, "columns", ())]
    return frame[columns] if columns else frame


def setup_panel(session: Session | None = None) -> SetupPanel:
    """Show the app set-up panel: client id, secret, redirect URI, live validation."""
    return SetupPanel(session or onboarding())


def login_panel(session: Session | None = None, *, listen: bool | None = None) -> LoginPanel:
    """Show the login panel: 'Open Spotify login', caught or pasted redirect, exchange.

    Args:
        session: the kernel's session (by default :func:`~adstudio_nb.session.onboarding`).
        listen: catch the redirect on this machine; by default as the settings say
            (``ADSTUDIO_CATCH_REDIRECT``), False to always paste.
    """
    return LoginPanel(session or onboarding(), listen=listen)


def token_panel(session: Session | None = None) -> TokenPanel:
    """Show the token panel: status, Refresh, Forget tokens, dashboard link."""
    return TokenPanel(session or onboarding())


def accounts_panel(session: Session | None = None) -> WhenAuthorized:
    """Show the ad accounts (B1) as a DataFrame once logged in; wait politely until then."""
    session = session or onboarding()
    settings = session.settings
    empty = NO_AD_ACCOUNTS
    if settings is not None and settings.target == "sandbox":
        empty += _NO_AD_ACCOUNTS_SANDBOX
    return WhenAuthorized(
        session,
        "4. Your ad accounts",
        _load_ad_accounts,
        button="Load ad accounts",
        view=_account_view,
        empty_message=empty,
    )


def when_authorized(
    load: Callable[[Any], Any], *, title: str = "Result", session: Session | None = None
) -> WhenAuthorized:
    """Show ``load(ads)``'s result once logged in (Run-All safe): ``ads`` is an ``Ads``.

    A ``load`` that returns text shows it as a message instead of a table.
    """
    return WhenAuthorized(session or onboarding(), title, lambda s: load(s.ads()))


# -- the report explorer ------------------------------------------------------------------------

_LEVELS = (
    ("Campaigns", "CAMPAIGN"),
    ("Ad sets", "AD_SET"),
    ("Ads", "AD"),
    ("Whole ad accounts", "AD_ACCOUNT"),
)
_GRANULARITIES = (
    ("By day", "DAY"),
    ("By hour (last 14 days)", "HOUR"),
    ("Whole range", "LIFETIME"),
)
_DEFAULT_METRICS = ("IMPRESSIONS", "SPEND")
_DEFAULT_DAYS = 30
_TABLE_ROWS = 200  # the table shows the first rows; the downloads hold every row
_MAX_DOWNLOAD_BYTES = 30 * 1024 * 1024  # a data link larger than this slows the page down
_NO_ACCOUNTS_TO_PICK = "Pick at least one ad account (Ctrl- or Cmd-click to pick several)."
_NO_METRICS_TO_PICK = "Pick at least one metric."


def _metric_label(field: str) -> str:
    metric = METRICS.get(field)
    return f"{field} ({metric.unit})" if metric else field


def _metric_help(fields: Sequence[str]) -> str:
    rows = "".join(
        f"<li><b>{html.escape(f)}</b> ({html.escape(METRICS[f].unit)}): "
        f"{html.escape(METRICS[f].meaning)}</li>"
        for f in fields
        if f in METRICS
    )
    return f"<ul class='adstudio-metrics' style='margin:2px 0'>{rows}</ul>" if rows else ""


def report_call(
    account_ids: Sequence[str],
    *,
    level: str,
    fields: Sequence[str],
    start: date | None,
    end: date | None,
    granularity: str,
) -> str:
    """Return the ``ads.report(...)`` call that gives the same report, to copy into a cell."""
    ids = ",\n".join(f"        {a!r}" for a in account_ids)
    lines = [
        "ads.report(",
        f"    [\n{ids},\n    ],",
        f"    level={level!r},",
        f"    fields={list(fields)!r},",
    ]
    if start is not None:
        lines.append(f"    start={start.isoformat()!r},")
    if end is not None:
        lines.append(f"    end={end.isoformat()!r},")
    lines += [f"    granularity={granularity!r},", ")"]
    return "\n".join(lines)


def _download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    if len(data) > _MAX_DOWNLOAD_BYTES:
        return html.escape(
            f"{label}: the file would be {len(data) / 1e6:.0f} MB, too large for a link on the "
            "page; write it with Ads.to_parquet(frame, path) instead."
        )
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f"<a class='adstudio-link' download='{html.escape(filename, quote=True)}' "
        f"href='data:{mime};base64,{encoded}'>{html.escape(label)}</a>"
    )


def _chart_png(frame: pd.DataFrame, fields: Sequence[str], granularity: str) -> bytes | None:
    """Draw the first additive metric (else the first one) as PNG bytes (see _chart_figure)."""
    figure = _chart_figure(frame, fields, granularity)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _chart_figure(frame: pd.DataFrame, fields: Sequence[str], granularity: str) -> Figure | None:
    """Draw the first additive metric (else the first one): money one line per currency."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if frame.empty:
        return None
    additive = [f for f in fields if f in METRICS and METRICS[f].additive]
    field = (additive or list(fields))[0]
    column = field.lower()
    if column not in frame.columns:
        return None
    metric = METRICS.get(field)
    summable = metric is not None and metric.additive
    money = metric is not None and metric.unit.startswith("currency")
    # Money never adds up across currencies: one series per currency.
    keys = ["currency_code"] if money else []
    figure = Figure(figsize=(8, 3.2), dpi=96)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    values = frame.assign(_value=frame[column].astype("Float64").astype(float))
    how = "sum" if summable else "mean"
    if granularity == "LIFETIME" or "start_time" not in frame.columns:
        top = (
            values.groupby(["entity_name", *keys], observed=True, dropna=False)["_value"]
            .agg(how)
            .sort_values(ascending=False)
            .head(15)
        )
        labels = [
            " · ".join(str(p) for p in (k if isinstance(k, tuple) else (k,))) for k in top.index
        ]
        axes.barh(labels[::-1], top.to_numpy()[::-1], color="#1db954")
        axes.set_xlabel(_metric_label(field))
    else:
        series = values.groupby(["start_time", *keys], observed=True)["_value"].agg(how)
        if keys:
            for currency, part in series.groupby(level=1):
                axes.plot(part.index.get_level_values(0), part.to_numpy(), label=str(currency))
            axes.legend(title="currency", fontsize="small")
        else:
            axes.plot(series.index, series.to_numpy(), color="#1db954")
        axes.set_ylabel(_metric_label(field))
        if granularity == "DAY":  # ticks on whole days, not on the hours between them
            from matplotlib.dates import DateFormatter, DayLocator

            days = series.index.get_level_values(0).nunique()
            axes.xaxis.set_major_locator(DayLocator(interval=max(1, -(-days // 8))))
            axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
        figure.autofmt_xdate()
    axes.set_title(f"{field}: {how} of the selected accounts", fontsize="medium")
    figure.tight_layout()
    return figure


class ReportExplorer(_Panel):
    """Pick accounts, level, metrics, dates and granularity; Run; table, chart, downloads.

    The report runs on a worker thread, so the kernel stays free and the panel shows rows as
    they arrive and every rate-limit wait ("waiting 12 s for Spotify's reporting limit"). A
    second Run while one runs is refused with a sentence. Every failure is shown as a
    sentence on the panel (and kept on ``last_error``), never as a traceback.

    Attributes:
        result: the last report (a DataFrame), or None.
        call: the ``ads.report(...)`` call of the last run, to copy.
    """

    def __init__(self, session: Session, *, today: date | None = None) -> None:
        super().__init__(session, "Report explorer")
        end = (today or datetime.now(UTC).date()) - timedelta(days=1)
        self.accounts = w.SelectMultiple(
            options=[], description="Accounts", rows=6, layout=w.Layout(width="95%")
        )
        self.level = w.Dropdown(options=_LEVELS, value="CAMPAIGN", description="Level")
        self.metrics = w.SelectMultiple(
            options=[(_metric_label(f), f) for f in METRICS],
            value=_DEFAULT_METRICS,
            description="Metrics",
            rows=8,
            layout=w.Layout(width="95%"),
        )
        self.metric_help = w.HTML(_metric_help(_DEFAULT_METRICS))
        self.metrics.observe(
            lambda change: setattr(self.metric_help, "value", _metric_help(change["new"])),
            names="value",
        )
        self.start = w.DatePicker(description="From", value=end - timedelta(days=_DEFAULT_DAYS - 1))
        self.end = w.DatePicker(description="To", value=end)
        self.granularity = w.Dropdown(
            options=_GRANULARITIES, value="DAY", description="Granularity"
        )
        self.run_button = w.Button(description="Run", icon="play", button_style="success")
        self.run_button.on_click(self._on_click(self.run))
        self.progress = w.HTML()
        self.table = w.HTML()
        self.chart = w.Image(format="png", layout=w.Layout(display="none"))
        self.downloads = w.HTML()
        self.code = w.HTML()
        self.result: pd.DataFrame | None = None
        self.call: str | None = None
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._accounts_for: int | None = None
        self.children = [
            self.title,
            self.banner,
            self.accounts,
            w.HBox([self.level, self.granularity]),
            self.metrics,
            self.metric_help,
            w.HBox([self.start, self.end]),
            self.run_button,
            self.status,
            self.progress,
            self.table,
            self.chart,
            self.downloads,
            self.code,
        ]
        self._on_view(session.view)

    # -- the session -------------------------------------------------------------------------

    def render(self, view: SessionView) -> None:
        """Load the accounts after a new login; say why it waits otherwise."""
        if view.is_logged_in:
            if self._accounts_for != view.login_serial:
                self._accounts_for = view.login_serial
                self.load_accounts()
            return
        self._accounts_for = None
        self.accounts.options = []
        self.run_button.disabled = True
        if view.state is LoginState.NOT_CONFIGURED:
            self._show("error", view.message)
        elif view.state in _ENDED:
            self._show("error", f"{view.message} This fills in by itself once you log in again.")
        else:
            self._show("wait", _WAITING)

    def load_accounts(self) -> None:
        """Fill the accounts list (B1); a user without an ad account gets a sentence."""
        self.run_button.disabled = True
        with self._working("Loading your ad accounts"):
            frame = self.session.ads().ad_accounts()
            self.accounts.options = [
                (f"{name} ({currency})", ident)
                for ident, name, currency in zip(
                    frame["id"], frame["name"], frame["currency_code"], strict=True
                )
            ]
            if frame.empty:
                settings = self.session.settings
                empty = NO_AD_ACCOUNTS
                if settings is not None and settings.target == "sandbox":
                    empty += _NO_AD_ACCOUNTS_SANDBOX
                self._show("hint", empty)
                return
            self.accounts.value = (frame["id"].iloc[0],)
            self.run_button.disabled = False
            self._show("ok", f"{len(frame)} ad accounts: pick some, then click Run.")

    # -- a run -------------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Tell whether a report is being fetched."""
        worker = self._worker
        return worker is not None and worker.is_alive()

    def run(self) -> None:
        """Fetch the report picked, on a worker thread (a second Run meanwhile is refused)."""
        with self._lock:
            if self.is_running:
                self._show(
                    "hint",
                    "A report is still being fetched: wait for it to finish (its progress "
                    "is below), then click Run again.",
                )
                return
            ids = list(self.accounts.value)
            fields = list(self.metrics.value)
            if not ids or not fields:
                self._show("hint", _NO_ACCOUNTS_TO_PICK if not ids else _NO_METRICS_TO_PICK)
                return
            options: dict[str, Any] = {
                "level": self.level.value,
                "fields": fields,
                "start": self.start.value,
                "end": self.end.value,
                "granularity": self.granularity.value,
            }
            self.last_error = None
            self.run_button.disabled = True
            self.run_button.description = "Running…"
            self._worker = threading.Thread(
                target=self._fetch, args=(ids, options), name="adstudio-explorer", daemon=True
            )
            self._worker.start()

    def wait(self, timeout_s: float = 60.0) -> None:
        """Block until the running report ends (for scripts and tests)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout_s)

    def _fetch(self, ids: list[str], options: dict[str, Any]) -> None:
        rows = [0]

        def on_rows(n: int) -> None:
            rows[0] += n
            self.progress.value = _html("wait", f"Fetched {rows[0]:,} rows…")

        def on_wait(notice: WaitNotice) -> None:
            text = notice.message[0].upper() + notice.message[1:]
            self.progress.value = _html("wait", f"Fetched {rows[0]:,} rows; {text}…")

        try:
            with self._working("Fetching the report"):
                ads = self.session.ads()
                with ads.watch(on_rows=on_rows, on_wait=on_wait, bars=False):
                    frame = ads.report(ids, **options)
                self._show_result(frame, ids, options)
        finally:
            self.progress.value = ""
            self.run_button.description = "Run"
            self.run_button.disabled = False

    def _show_result(self, frame: pd.DataFrame, ids: list[str], options: dict[str, Any]) -> None:
        self.result = frame
        self.call = report_call(ids, **options)
        self.code.value = (
            "<div>The same report in code (copy it into a cell):</div>"
            f"<pre class='adstudio-call'>{html.escape(self.call)}</pre>"
        )
        if frame.empty:
            self.table.value = ""
            self.chart.layout.display = "none"
            self.downloads.value = ""
            self._show("hint", "The report has no rows: try other dates, accounts or a level.")
            return
        shown = frame.head(_TABLE_ROWS).drop(columns=["ad_account_id"], errors="ignore")
        more = f" (the first {_TABLE_ROWS} of {len(frame):,})" if len(frame) > _TABLE_ROWS else ""
        self.table.value = (
            f"<div style='max-height:360px;overflow:auto'>"
            f"{shown.to_html(index=False, classes='adstudio-table', na_rep='')}</div>"
        )
        png = _chart_png(frame, options["fields"], options["granularity"])
        if png is not None:
            self.chart.value = png
            self.chart.layout.display = None
        else:
            self.chart.layout.display = "none"
        self.downloads.value = " ".join(
            (
                _download_link(
                    frame.to_csv(index=False).encode(), "report.csv", "text/csv", "Download CSV"
                ),
                _download_link(
                    _parquet_bytes(frame),
                    "report.parquet",
                    "application/vnd.apache.parquet",
                    "Download Parquet",
                ),
            )
        )
        currencies = sorted(frame["currency_code"].dropna().unique())
        mixed = (
            f" Money is in {', '.join(currencies)}: summed per currency, never across."
            if len(currencies) > 1
            else ""
        )
        self._show("ok", f"{len(frame):,} rows{more}.{mixed}")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)  # pyarrow keeps the pandas dtypes in its metadata
    return buffer.getvalue()


def report_explorer(session: Session | None = None) -> ReportExplorer:
    """Show the report explorer: accounts, level, metrics, dates; Run; table, chart, files.

    Works in JupyterLab, Notebook 7 and the app view (Voila) alike; the report is fetched without
    blocking the kernel. Logged out, it waits and fills in by itself after the login.
    """
    return ReportExplorer(session or onboarding())


# -- pickers for analysis notebooks -------------------------------------------------------------


class AccountPicker(w.VBox):
    """Pick ad accounts by name (and a date range) for the cells below; Run All keeps defaults.

    A cell reads :attr:`selected`, :attr:`start` and :attr:`end` when it runs: change the
    picks, then run the cells below again. A user without an ad account gets a sentence and
    an empty :attr:`selected`.

    Args:
        accounts: ``ads.ad_accounts()``.
        picked: how many accounts are picked at first (from the top; None: all).
        days: the date range at first: the last ``days`` full days (UTC); 0 for no dates.
        today: the day the range ends before (tests).
    """

    def __init__(
        self,
        accounts: pd.DataFrame,
        *,
        picked: int | None = None,
        days: int = 30,
        today: date | None = None,
    ) -> None:
        self.frame = accounts
        self.accounts = w.SelectMultiple(
            options=[
                (f"{name} ({currency})", ident)
                for ident, name, currency in zip(
                    accounts["id"], accounts["name"], accounts["currency_code"], strict=True
                )
            ],
            description="Accounts",
            rows=min(8, max(2, len(accounts))),
            layout=w.Layout(width="95%"),
        )
        ids = list(accounts["id"])
        self.accounts.value = tuple(ids if picked is None else ids[:picked])
        end = (today or datetime.now(UTC).date()) - timedelta(days=1)
        self.start = w.DatePicker(description="From", value=end - timedelta(days=days - 1))
        self.end = w.DatePicker(description="To", value=end)
        note = w.HTML(
            _html(
                "hint",
                "Change the picks, then run the cells below again."
                if len(accounts)
                else NO_AD_ACCOUNTS,
            )
        )
        children: list[w.Widget] = [self.accounts]
        if days:
            children.append(w.HBox([self.start, self.end]))
        if not len(accounts):
            children = []
        super().__init__([*children, note])

    @property
    def selected(self) -> pd.DataFrame:
        """Return the rows of the accounts picked, in the accounts' order."""
        return self.frame[self.frame["id"].isin(self.accounts.value)]

    @property
    def dates(self) -> tuple[date, date]:
        """Return the first and last day picked (UTC, both included)."""
        start, end = self.start.value, self.end.value
        if start is None or end is None:
            raise InvalidArgument("Pick a first and a last day above.")
        return start, end


def account_picker(
    accounts: pd.DataFrame, *, picked: int | None = None, days: int = 30
) -> AccountPicker:
    """Show an account (and date range) picker whose picks the cells below read."""
    return AccountPicker(accounts, picked=picked, days=days)


def _present_login(session: Session) -> bool:
    """Show the login panel in a notebook for :func:`~adstudio_nb.session.connect`."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - ipywidgets needs IPython
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False  # a terminal: connect() names the command instead
    display(login_panel(session))
    return True


set_login_presenter(_present_login)
