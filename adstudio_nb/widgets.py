"""The notebook panels: onboarding with buttons instead of curl and base64.

Each panel is an ipywidgets box a cell shows with one call (:func:`setup_panel`,
:func:`login_panel`, :func:`token_panel`, :func:`accounts_panel`, :func:`when_authorized`).
Panels are thin: their handlers call ``onboarding``/``auth``/``ads`` and show the outcome. They
share one :class:`Onboarding` per kernel, which tells every panel when the login changes, so a
cell run before the login ("Run All") shows a waiting panel that fills in by itself.

ipywidgets swallows exceptions raised in click handlers; here every handler runs inside
:meth:`_Panel._working`, which shows a plain-language error with the next step and keeps the
exception on ``panel.last_error`` (tests assert on it). No panel ever shows a token, a code or a
secret: only fingerprints and times.

Example:
    >>> from adstudio_nb import widgets
    >>> panel = widgets.login_panel()          # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w

from .auth import OAuthFlow
from .config import (
    Settings,
    load_settings,
    static_outputs,
    validate_client_id,
    validate_redirect_uri,
)
from .demo import demo_login
from .exceptions import AdStudioError, AuthorizationRequired, ConfigurationError
from .login import LoginAttempt, begin_login, explain
from .redaction import Secret

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
</style>
"""


def _html(kind: str, text: str) -> str:
    return f"{_STYLE}<div class='adstudio-{kind}'>{html.escape(text)}</div>"


def _custom_banner(settings: Settings) -> str:
    """The warning every panel carries when credentials go somewhere other than Spotify."""
    notice = settings.custom_target_notice
    return _html("custom", f"⚠ {notice}") if notice else ""


class Onboarding:
    """The kernel's login state, shared by every panel.

    Args:
        settings: client and hosts; by default :func:`adstudio_nb.config.load_settings`
            (the embedded sandbox when nothing is configured).
        flow: the OAuth flow; by default one built on ``settings``.
    """

    def __init__(self, settings: Settings | None = None, *, flow: OAuthFlow | None = None):
        self.settings = settings or (flow.settings if flow else load_settings())
        self.flow = flow or OAuthFlow(self.settings)
        self._subscribers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._ads: Any = None

    def __repr__(self) -> str:
        return f"<Onboarding {self.settings.target} profile={self.settings.profile}>"

    def _repr_html_(self) -> str:
        """Say where this notebook connects and whether it is logged in (no secret)."""
        s = self.settings
        if s.target == "sandbox":
            where = (
                f"the sandbox (a local stand-in for Spotify) at {s.authorize_url.rsplit('/', 1)[0]}"
            )
        elif s.target == "custom":
            where = f"a custom target (login at {s.authorize_url}, Ads API {s.api_base_url})"
        else:
            where = f"Spotify ({s.authorize_url.split('/')[2]}, Ads API {s.api_base_url})"
        state = "logged in" if self.is_authorized else "not logged in yet"
        line = _html("wait", f"Connecting to {where} as client {s.client_id[:6]}…; {state}.")
        return _custom_banner(s) + line

    @property
    def is_authorized(self) -> bool:
        """Tell whether a token is stored (it may need a refresh, which happens on use)."""
        try:
            return self.flow.store.load() is not None
        except AdStudioError:
            return False

    def use(self, settings: Settings) -> None:
        """Switch to other settings (another app or host); every panel is told."""
        with self._lock:
            self.settings = settings
            self.flow = OAuthFlow(settings)
        self.changed()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (with no argument) whenever the login changes."""
        with self._lock:
            self._subscribers.append(callback)

    def changed(self) -> None:
        """Tell every subscriber that the login changed (logged in, refreshed, forgotten)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback()
            except Exception as exc:  # one broken panel must not silence the others
                log.warning("a panel failed to update: %s", type(exc).__name__)

    def ads(self) -> Any:
        """Return an :class:`adstudio_nb.ads.Ads` speaking for the logged-in user."""
        from .ads import Ads
        from .client import AdsClient

        with self._lock:
            if self._ads is None or self._ads.client.token_source is not self.flow:
                self._ads = Ads(AdsClient(self.settings.api_base_url, self.flow), progress=False)
            return self._ads


_current: Onboarding | None = None
_current_lock = threading.Lock()


def onboarding(settings: Settings | None = None) -> Onboarding:
    """Return this kernel's :class:`Onboarding`, creating it on first use.

    Args:
        settings: use these settings (replacing the current ones) instead of the configured.
    """
    global _current
    with _current_lock:
        if _current is None:
            _current = Onboarding(settings)
        elif settings is not None and settings != _current.settings:
            _current.use(settings)
        return _current


class _Panel(w.VBox):
    """A box with a status line; handlers run in :meth:`_working` so failures are shown."""

    def __init__(self, session: Onboarding, title: str, **kwargs: Any) -> None:
        self.session = session
        self.title = w.HTML(f"<b>{html.escape(title)}</b>")
        # Right under the title of every panel: where credentials go, if not to Spotify.
        self.banner = w.HTML()
        self.status = w.HTML()
        self.last_error: BaseException | None = None
        super().__init__(**kwargs)
        self.add_class("adstudio-panel")
        self._show_target()
        session.subscribe(self._show_target)

    def _show_target(self) -> None:
        self.banner.value = _custom_banner(self.session.settings)
        self.banner.layout.display = None if self.banner.value else "none"

    def _show(self, kind: str, text: str) -> None:
        self.status.value = _html(kind, text)

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

    def __init__(self, session: Onboarding) -> None:
        super().__init__(session, "1. Your Spotify app")
        s = session.settings
        sandbox = s.target == "sandbox"
        self.client_id = w.Text(
            value="" if sandbox else s.client_id,
            description="Client id",
            placeholder="32 hex characters from the developer dashboard",
        )
        self.client_secret = w.Password(
            description="Secret", placeholder="kept in this kernel only, never saved"
        )
        self.redirect_uri = w.Text(
            value="" if sandbox else s.redirect_uri,
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
        self._describe_hosts()
        session.subscribe(self._describe_hosts)

    def _describe_hosts(self) -> None:
        s = self.session.settings
        if s.target == "sandbox":
            host = s.authorize_url.rsplit("/", 1)[0]
            text = (
                f"Using the sandbox (a local stand-in for Spotify) at {host} with its demo app. "
                "Enter your own app below to use real Spotify."
            )
        else:
            text = f"Using {s.target}: login at {s.authorize_url}, Ads API at {s.api_base_url}."
        self.hosts.value = _html("wait", text)

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
            settings = load_settings(
                client_id=self.client_id.value.strip() or None,
                client_secret=self.client_secret.value.strip() or None,
                redirect_uri=self.redirect_uri.value.strip() or None,
                target="spotify" if self.client_id.value.strip() else None,
            )
            self.session.use(settings)
            self._show("ok", f"Using {settings.target} with client id {settings.client_id[:6]}…")


class LoginPanel(_Panel):
    """Open Spotify's login, catch the redirect (or take a pasted one), exchange the code."""

    def __init__(self, session: Onboarding, *, listen: bool | None = None) -> None:
        super().__init__(session, "2. Log in to Spotify")
        self.listen = session.settings.catch_redirect if listen is None else listen
        self.attempt: LoginAttempt | None = None
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
        session.subscribe(self._refresh_view)
        if session.is_authorized:
            self._refresh_view()
        else:
            self.start()

    def start(self, *, show_dialog: bool = False) -> None:
        """Start a (new) login: a fresh link and, where possible, a listener for the redirect."""
        with self._working("Preparing the Spotify login"):
            if self.attempt is not None:
                self.attempt.close()
            self.attempt = begin_login(
                self.session.flow,
                show_dialog=show_dialog,
                listen=self.listen,
                on_redirect=self._caught,
            )
            self.paste_row.layout.display = None
            self.new_login_button.description = "New login link"
            url = html.escape(self.attempt.url, quote=True)
            s = self.session.settings
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
            if self.attempt.listener is not None:
                self.how.value = _html(
                    "wait",
                    "Log in and click Agree in the new tab: this notebook catches the redirect "
                    f"on {self.attempt.listener.redirect_uri} by itself. If nothing happens "
                    "(for example on a remote Jupyter), paste the address-bar URL below.",
                )
            else:
                self.how.value = _html("hint", self.attempt.listener_problem or "")
            self._show("wait", "Waiting for you to log in and click Agree…")

    def _caught(self, attempt: LoginAttempt) -> None:
        """Exchange the redirect the listener caught (runs on the listener's thread)."""
        if attempt is not self.attempt or attempt.listener is None:
            return
        if attempt.listener.result is None:  # timed out or stopped
            if attempt.token is None and not self.session.is_authorized:
                self._show(
                    "hint",
                    "The login link expired without a redirect: click 'New login link', or "
                    "paste the address-bar URL.",
                )
            return
        with self._working("Exchanging the code for tokens"):
            attempt.finish_with_listener()
            self.session.changed()

    def exchange_pasted(self) -> None:
        """Exchange the pasted address-bar URL or code for tokens."""
        with self._working("Exchanging the code for tokens"):
            if self.attempt is None:
                raise AuthorizationRequired(
                    "There is no login in progress: click 'New login link' first."
                )
            # Held hidden at once: a verbose traceback of this frame shows <hidden>.
            pasted = Secret(self.paste.value)
            self.paste.value = ""  # the code must not linger in the widget
            self.attempt.finish_with_redirect(pasted)
            self.session.changed()

    def _refresh_view(self) -> None:
        if not self.session.is_authorized:
            return
        if self.attempt is not None:
            self.attempt.close()
        status = self.session.flow.status()
        self.link.value = ""
        self.how.value = ""
        self.paste_row.layout.display = "none"  # nothing to paste once logged in
        self.new_login_button.description = "Log in again"
        self._show("ok", str(status))


class TokenPanel(_Panel):
    """Token status (no token shown), Refresh, Forget tokens, and the dashboard link."""

    def __init__(self, session: Onboarding) -> None:
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
        session.subscribe(self.update)
        self.update()

    def update(self) -> None:
        """Show the current token state: fingerprint, expiry, refresh horizon."""
        s = self.session.settings
        if s.dashboard_url:
            url = html.escape(s.dashboard_url, quote=True)
            label = "sandbox dashboard" if s.target == "sandbox" else "developer dashboard"
            self.dashboard.value = (
                f"Revoke access in the <a href='{url}' target='_blank' rel='noopener'>{label}</a>"
                "; the next refresh then asks you to log in again."
            )
        try:
            status = self.session.flow.status()
        except AdStudioError as exc:
            self.details.value = _html("error", str(exc))
            return
        if not status.logged_in:
            self.details.value = _html("wait", "Not logged in yet: use the login above.")
            return
        now = datetime.now(UTC)
        rows = {
            "Token": f"{status.fingerprint}… (a fingerprint, not the token)",
            "Access token expires": _relative(status.expires_at, now),
            "Logged in": _relative(status.authorized_at, now),
            "Log in again before": _relative(status.refresh_expires_at, now),
            "Stored in": status.store_location,
        }
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows.items()
        )
        self.details.value = f"{_STYLE}<table class='adstudio-token'>{body}</table>"

    def refresh(self) -> None:
        """Get a new access token with the stored refresh token (A8)."""
        with self._working("Refreshing the access token"):
            token = self.session.flow.refresh()
            self.session.changed()
            self._show("ok", f"Refreshed: new token {token.fingerprint}….")

    def forget(self) -> None:
        """Forget the stored tokens (the app's access stays granted until revoked)."""
        with self._working("Forgetting the tokens"):
            self.session.flow.logout()
            self.session.changed()
            self._show("ok", "Tokens forgotten: log in again to continue.")


class WhenAuthorized(_Panel):
    """Run a function once a token exists and show its result; wait politely until then."""

    def __init__(
        self,
        session: Onboarding,
        title: str,
        load: Callable[[Onboarding], Any],
        *,
        button: str = "Load",
        view: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(session, title)
        self._load = load
        self._view = view or (lambda result: result)
        self.result: Any = None
        self.output = w.Output()
        self.reload_button = w.Button(
            description=button, icon="download", layout=w.Layout(width="auto")
        )
        self.reload_button.on_click(self._on_click(self.run))
        self.children = [self.title, self.banner, self.reload_button, self.status, self.output]
        self._ran_for: object | None = None
        session.subscribe(self._maybe_run)
        self._maybe_run()

    def _maybe_run(self) -> None:
        if not self.session.is_authorized:
            self.result = None
            self._ran_for = None
            self._clear_output()
            self._show(
                "wait",
                "Waiting for authorization: this fills in by itself once you log in above.",
            )
            return
        if self._ran_for is not self.session.flow:
            self.run()

    def _clear_output(self) -> None:
        # Only when there is something to clear: a needless clear_output message trips
        # nbclient's output-widget bookkeeping when widget state is not stored.
        if self.output.outputs:
            self.output.outputs = ()

    def run(self) -> None:
        """Load now and show the result under the panel."""
        with self._working("Loading"):
            result = self._load(self.session)
            self.result = result
            self._ran_for = self.session.flow
            self._clear_output()
            self.output.append_display_data(self._view(result))
            rows = getattr(result, "shape", (None,))[0]
            self._show("ok", f"Loaded {rows} rows." if rows is not None else "Loaded.")


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


def _load_ad_accounts(session: Onboarding) -> Any:
    return session.ads().ad_accounts()


# What a person scans first; the full frame stays on the panel's ``result``.
_ACCOUNT_VIEW = ["name", "currency_code", "country_code", "status", "ad_account_role", "id"]


def _account_view(frame: Any) -> Any:
    columns = [c for c in _ACCOUNT_VIEW if c in getattr(frame, "columns", ())]
    return frame[columns] if columns else frame


def connect(session: Onboarding | None = None, *, demo_user: str = "alex.analyst") -> Any:
    """Return the Ads API as DataFrames (an ``Ads``), for analysis notebooks.

    On the sandbox, a notebook run unattended logs in as a demo user by itself. On Spotify,
    the stored login is used (from the onboarding notebook or ``adstudio-nb login``); without
    one, the login panel is shown and :class:`AuthorizationRequired` says to log in there.

    Raises:
        AuthorizationRequired: not logged in to Spotify yet.
    """
    session = session or onboarding()
    if not session.is_authorized:
        if session.settings.target == "sandbox":
            demo_login(session.flow, user=demo_user)
            session.changed()
        else:
            from IPython.display import display

            display(login_panel(session))
            raise AuthorizationRequired(
                "Not logged in to Spotify yet: log in with the panel above (or run "
                "`adstudio-nb login`), then run this cell and the ones below again."
            )
    return session.ads()


def setup_panel(session: Onboarding | None = None) -> SetupPanel:
    """Show the app set-up panel: client id, secret, redirect URI, live validation."""
    return SetupPanel(session or onboarding())


def login_panel(session: Onboarding | None = None, *, listen: bool | None = None) -> LoginPanel:
    """Show the login panel: 'Open Spotify login', caught or pasted redirect, exchange.

    Args:
        session: the kernel's onboarding state (by default :func:`onboarding`).
        listen: catch the redirect on this machine; by default as the settings say
            (``ADSTUDIO_CATCH_REDIRECT``), False to always paste.
    """
    return LoginPanel(session or onboarding(), listen=listen)


def token_panel(session: Onboarding | None = None) -> TokenPanel:
    """Show the token panel: status, Refresh, Forget tokens, dashboard link."""
    return TokenPanel(session or onboarding())


def accounts_panel(session: Onboarding | None = None) -> WhenAuthorized:
    """Show the ad accounts (B1) as a DataFrame once logged in; wait politely until then."""
    return WhenAuthorized(
        session or onboarding(),
        "4. Your ad accounts",
        _load_ad_accounts,
        button="Load ad accounts",
        view=_account_view,
    )


def when_authorized(
    load: Callable[[Any], Any], *, title: str = "Result", session: Onboarding | None = None
) -> WhenAuthorized:
    """Show ``load(ads)``'s result once logged in (Run-All safe): ``ads`` is an ``Ads``."""
    return WhenAuthorized(session or onboarding(), title, lambda s: load(s.ads()))
