"""One login attempt, as the notebook panels and the CLI both run it.

This module owns the choreography of a login, not its protocol: start a login (``auth``),
catch the redirect with a loopback listener (``callback``) when the redirect URI allows it, say
plainly why not when it does not (remote Jupyter, a port taken, an https redirect), and finish
with whatever arrives first: the caught redirect or a pasted address-bar URL.

It never prints, never blocks on input and never touches widgets: the caller decides how to show
the URL and how to wait.

Example:
    >>> from adstudio_nb.config import Settings
    >>> from adstudio_nb.auth import OAuthFlow
    >>> from adstudio_nb.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     flow = OAuthFlow(Settings.for_sandbox(sb))
    ...     attempt = begin_login(flow)
    ...     attempt.is_listening
    ...     attempt.close()
    True
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .auth import LoginRequest, OAuthFlow
from .callback import CallbackListener
from .exceptions import AdStudioError, AuthError, CallbackError
from .redaction import Secret
from .token_store import Token

log = logging.getLogger(__name__)

DEFAULT_LISTEN_TIMEOUT_S = 300.0
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


@dataclass
class LoginAttempt:
    """A started login: the URL to open, and the ways its redirect can come back.

    Attributes:
        flow: the OAuth flow the login belongs to.
        login: the login request (its URL, state and redirect URI).
        listener: the loopback listener catching the redirect, or None.
        listener_problem: why no listener runs, in one or two sentences, or None.
    """

    flow: OAuthFlow
    login: LoginRequest
    listener: CallbackListener | None = None
    listener_problem: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _token: Token | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Return the authorize URL to open in a browser (A1)."""
        return self.login.url

    @property
    def is_listening(self) -> bool:
        """Tell whether a listener is waiting for the redirect right now."""
        return self.listener is not None and not self.listener.done

    @property
    def token(self) -> Token | None:
        """Return the token this attempt produced, once it has."""
        return self._token

    def finish_with_redirect(self, url_or_code: object) -> Token:
        """Exchange a pasted address-bar URL (or, for a PKCE login, a bare code) for tokens.

        Safe to call twice with the same redirect: the second call returns the same token
        without spending the code again. The pasted text may be a ``Secret``; plain text is
        wrapped in one at once, so no frame of the login holds it in the clear (A3-A7).

        Raises:
            AuthError: denied, wrong state, no code, or the token endpoint refused.
            TransportError: the accounts service could not be reached.
        """
        pasted = Secret(url_or_code) if isinstance(url_or_code, str | Secret) else url_or_code
        del url_or_code  # from here on only the hidden form is in this frame
        with self._lock:
            token = self.flow.complete_login(pasted, self.login)
            self._token = token
        self.close()
        return token

    def finish_with_listener(self) -> Token:
        """Exchange the redirect the listener caught (call it from ``on_redirect``).

        Raises:
            CallbackError: the listener timed out or was stopped.
            AuthError: denied, or the token endpoint refused the code.
        """
        if self.listener is None:
            raise CallbackError(
                "No listener is running for this login: paste the address-bar URL instead."
            )
        result = self.listener.wait(0)
        caught = Secret(result.url)  # a traceback shows the names on its line: not result.url
        return self.finish_with_redirect(caught)

    def close(self) -> None:
        """Stop the listener, if any (idempotent)."""
        if self.listener is not None and not self.listener.done:
            self.listener.stop()


def begin_login(
    flow: OAuthFlow,
    *,
    show_dialog: bool = False,
    listen: bool = True,
    timeout_s: float = DEFAULT_LISTEN_TIMEOUT_S,
    on_redirect: Callable[[LoginAttempt], None] | None = None,
) -> LoginAttempt:
    """Start a login, with a loopback listener when the redirect URI allows one.

    Args:
        flow: the OAuth flow (settings, token store).
        show_dialog: force Spotify's consent screen again (A1).
        listen: try to catch the redirect on this machine; False means paste only.
        timeout_s: how long the listener waits.
        on_redirect: called from the listener's thread when it finishes (a redirect arrived,
            or it timed out); typically calls :meth:`LoginAttempt.finish_with_listener`.

    Returns:
        The attempt; when ``listener_problem`` is set, the user must paste the redirect.

    Raises:
        RedirectURIError: the configured redirect URI cannot work.
    """
    attempt_box: list[LoginAttempt] = []
    listener: CallbackListener | None = None
    problem: str | None = None
    redirect_uri = flow.settings.redirect_uri
    remote = remote_kernel_reason()
    if listen and remote:
        problem = remote
    elif not listen:
        problem = (
            "Catching the redirect is switched off (for a browser that cannot reach this "
            "machine): after clicking Agree, paste the address-bar URL below."
        )
    elif urlsplit(redirect_uri).hostname not in _LOOPBACK_HOSTS:
        problem = (
            f"The redirect URI {redirect_uri} is not on this computer, so the browser cannot "
            "hand the code to this notebook: after clicking Agree, paste the address-bar URL."
        )
    else:

        def hand_over(done: CallbackListener) -> None:
            if on_redirect is not None and attempt_box:
                on_redirect(attempt_box[0])

        try:
            listener = CallbackListener(
                redirect_uri, timeout_s=timeout_s, on_result=hand_over
            ).start()
        except CallbackError as exc:  # port taken (Jupyter uses 8888) or not bindable
            problem = str(exc)
            listener = None
    try:
        login = flow.start_login(
            show_dialog=show_dialog,
            redirect_uri=listener.redirect_uri if listener is not None else None,
        )
    except AdStudioError:
        if listener is not None:
            listener.stop()
        raise
    if listener is not None:
        listener.expected_state = login.state
    attempt = LoginAttempt(flow, login, listener, problem)
    attempt_box.append(attempt)
    log.debug("login attempt started (listening=%s)", listener is not None)
    return attempt


def remote_kernel_reason(
    modules: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Say why the browser cannot reach this kernel's loopback address, or None.

    Colab and JupyterHub run the kernel on another machine than the browser: a listener there
    would wait for a redirect that lands on the user's own computer.
    """
    modules = sys.modules if modules is None else modules
    environ = os.environ if environ is None else environ
    if "google.colab" in modules:
        where = "Colab"
    elif environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        where = "JupyterHub"
    else:
        return None
    return (
        f"This notebook runs on {where}, on another machine than your browser, so the redirect "
        "cannot reach it: after clicking Agree, paste the address-bar URL below."
    )


def explain(exc: BaseException) -> str:
    """Return the one- or two-sentence message to show a person for ``exc``.

    adstudio_nb's own errors already say what to do next; anything else is a defect, shown
    with its type and a request to report it rather than as a traceback.
    """
    if isinstance(exc, AdStudioError):
        return str(exc)
    return (
        f"Something unexpected went wrong ({type(exc).__name__}). Try again; if it persists, "
        "report it with the steps that led here."
    )


__all__ = [
    "DEFAULT_LISTEN_TIMEOUT_S",
    "AuthError",
    "LoginAttempt",
    "begin_login",
    "explain",
    "remote_kernel_reason",
]
