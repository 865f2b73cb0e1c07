"""Every error adstudio_nb raises, in one tree.

This module owns the exception classes and nothing else: no logic, no I/O.
Each message says what happened and what to do next, in one or two sentences, and never
contains a secret, token, authorization code or Basic header (context travels as attributes).

::

    AdStudioError
    ├── ConfigurationError (ValueError)        settings that cannot work
    │   └── RedirectURIError                   a redirect URI Spotify would refuse (A12)
    ├── InvalidArgument (ValueError)           a call's argument that cannot work (a date, a range)
    ├── AuthError                              the OAuth steps
    │   ├── RedirectParseError (ValueError)    a pasted URL or code that holds no code
    │   ├── StateMismatch (ValueError)         the redirect's state is not ours (CSRF guard)
    │   ├── AuthorizationDenied                the user clicked Cancel (A3)
    │   ├── CallbackError                      the loopback listener
    │   │   ├── CallbackPortInUse              the redirect port is taken (Jupyter uses 8888)
    │   │   └── CallbackTimeout                no redirect arrived in time
    │   ├── TokenRequestError                  the token endpoint refused (A4-A9)
    │   │   ├── InvalidClient                  wrong client id or secret (A6)
    │   │   ├── InvalidGrant                   a code or refresh token refused (A4, A5)
    │   │   │   ├── CodeExpired                codes last 10 minutes (A4)
    │   │   │   ├── CodeInvalid                unknown or already used code (A4)
    │   │   │   ├── RedirectURIMismatch        not the redirect URI of the authorize step (A5)
    │   │   │   └── CodeVerifierMismatch       PKCE verifier does not match (A5)
    │   │   └── UnsupportedGrantType           a malformed token request (A5)
    │   └── AuthorizationRequired              no usable token: log in (again) (A9, A10)
    ├── TokenStoreError                        a token file that cannot be read or written
    ├── StoreError                             the local store of fetched data cannot be used
    │   └── StoreBusy                          another process held the store past the wait
    ├── APIError                               the Ads API answered with an error (B9)
    │   ├── BadRequest                         400
    │   ├── Unauthorized                       401 after one refresh (B10)
    │   ├── NotAllowedForAdsAPI                403: client id not allowed yet (B10)
    │   ├── NotFound                           404
    │   ├── UnprocessableReport                422: data too thin for an insight report (B8)
    │   ├── RateLimited                        429 past the retry budget (B11)
    │   ├── ServerError                        5xx past the retry budget
    │   ├── MalformedPayload (ValueError)      a body not shaped like the Ads API's answer
    │   ├── AsyncReportError                   an async CSV report FAILED or EXPIRED (B8)
    │   │   ├── AsyncReportTimeout             still PROCESSING past the client's deadline
    │   │   └── UnreadableReport (ValueError)  a CSV with nothing recognisable, or cut short
    │   └── IncompleteResult                   paging stopped before the end; partial items kept
    │       ├── IncompleteListing              an offset-paged listing (B3)
    │       └── IncompleteReport               a continuation-token report (B6)
    └── TransportError                         the network failed: refused, dropped, timed out
        └── ResponseTooLarge                   a body past the client's size cap
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AdStudioError",
    "AsyncReportError",
    "AsyncReportTimeout",
    "AuthError",
    "AuthorizationDenied",
    "AuthorizationRequired",
    "BadRequest",
    "CallbackError",
    "CallbackPortInUse",
    "CallbackTimeout",
    "CodeExpired",
    "CodeInvalid",
    "CodeVerifierMismatch",
    "ConfigurationError",
    "IncompleteListing",
    "IncompleteReport",
    "IncompleteResult",
    "InvalidArgument",
    "InvalidClient",
    "InvalidGrant",
    "MalformedPayload",
    "NotAllowedForAdsAPI",
    "NotFound",
    "RateLimited",
    "RedirectParseError",
    "RedirectURIError",
    "RedirectURIMismatch",
    "ResponseTooLarge",
    "ServerError",
    "StateMismatch",
    "StoreBusy",
    "StoreError",
    "TokenRequestError",
    "TokenStoreError",
    "TransportError",
    "Unauthorized",
    "UnprocessableReport",
    "UnreadableReport",
    "UnsupportedGrantType",
]


class AdStudioError(Exception):
    """Root of every error adstudio_nb raises; its message says what to do next."""


class ConfigurationError(AdStudioError, ValueError):
    """Settings (client id, secret, redirect URI, hosts, store location) that cannot work."""


class InvalidArgument(AdStudioError, ValueError):
    """An argument of a call that cannot work: a date that is not one, a range, an id list."""


class RedirectURIError(ConfigurationError):
    """A redirect URI that Spotify would refuse, with a fix hint (A12).

    Attributes:
        uri: the URI as given (redirect URIs are not secret).
        suggestion: a corrected URI, when one can be guessed.
    """

    def __init__(self, message: str, *, uri: str = "", suggestion: str | None = None) -> None:
        super().__init__(message)
        self.uri = uri
        self.suggestion = suggestion


class AuthError(AdStudioError):
    """Something in the OAuth steps failed."""


class RedirectParseError(AuthError, ValueError):
    """A pasted redirect URL or code that holds no authorization code."""


class StateMismatch(AuthError, ValueError):
    """The redirect's ``state`` is not the one this login sent: refused as a possible forgery."""


class AuthorizationDenied(AuthError):
    """The user refused consent on Spotify's page (``error=access_denied``, A3)."""


class CallbackError(AuthError):
    """The loopback listener that catches the redirect could not do its job."""


class CallbackPortInUse(CallbackError):
    """The redirect URI's port is taken by another program.

    Attributes:
        port: the port that was asked for.
    """

    def __init__(self, message: str, *, port: int) -> None:
        super().__init__(message)
        self.port = port


class CallbackTimeout(CallbackError):
    """No redirect reached the loopback listener before its deadline."""


class TokenRequestError(AuthError):
    """The accounts service refused a token request (A4-A9).

    Attributes:
        status_code: the HTTP status.
        error: the OAuth ``error`` field, for example ``invalid_grant``.
        error_description: Spotify's ``error_description``, verbatim (it holds no secret).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.error_description = error_description


class InvalidClient(TokenRequestError):
    """Wrong client id or client secret (A6)."""


class InvalidGrant(TokenRequestError):
    """An authorization code or refresh token the accounts service refused (A4, A5, A9)."""


class CodeExpired(InvalidGrant):
    """The authorization code is older than 10 minutes (A4)."""


class CodeInvalid(InvalidGrant):
    """The authorization code is unknown or was already used (A4)."""


class RedirectURIMismatch(InvalidGrant):
    """The token request's redirect URI differs from the authorize step's (A5).

    Attributes:
        sent: the redirect URI that was sent.
    """

    def __init__(self, message: str, *, sent: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.sent = sent


class CodeVerifierMismatch(InvalidGrant):
    """The PKCE code verifier does not match the challenge (A5)."""


class UnsupportedGrantType(TokenRequestError):
    """The token request was malformed (not a form body, or no grant type) (A5)."""


class AuthorizationRequired(AuthError):
    """There is no usable token: the user must log in (again).

    Raised when nothing is stored yet, and when the refresh token was revoked or expired
    (A9, A10).
    """


class TokenStoreError(AdStudioError):
    """A token file that cannot be read, parsed or written.

    Attributes:
        path: the file concerned (a path is not secret).
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class StoreError(AdStudioError):
    """The local store (a DuckDB file) cannot be opened, read or written as asked."""


class StoreBusy(StoreError):
    """Another process kept the local store for longer than the bounded wait."""


class APIError(AdStudioError):
    """The Ads API answered with an error (B9).

    Attributes:
        status_code: the HTTP status.
        trace_id: Spotify's ``sp_trace_id``; quote it to Spotify support.
        messages: the body's ``messages``.
        error_codes: the body's ``error_codes`` (or ``errorCodes``) as dicts.
        method: the HTTP method.
        url: the URL without its query string.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        trace_id: str | None = None,
        messages: list[str] | None = None,
        error_codes: list[dict[str, Any]] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.trace_id = trace_id
        self.messages = list(messages or [])
        self.error_codes = list(error_codes or [])
        self.method = method
        self.url = url


class BadRequest(APIError):
    """The Ads API refused the request's parameters (400)."""


class Unauthorized(APIError):
    """The Ads API refused the access token even after a refresh (401, B10)."""


class NotAllowedForAdsAPI(APIError):
    """This client id is not yet allowed for the Ads API (403, B10)."""


class NotFound(APIError):
    """The object does not exist or this user cannot see it (404)."""


class UnprocessableReport(APIError):
    """An insight report with too little data behind it (422, B8)."""


class RateLimited(APIError):
    """Rate limited (429) for longer than the client is willing to wait (B11).

    Attributes:
        retry_after_s: seconds until the window resets, as the server said.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class ServerError(APIError):
    """The Ads API kept failing on its side (5xx) past the retry budget."""


class MalformedPayload(APIError, ValueError):
    """A body (from the Ads API, or passed to a loader) that is not shaped like its answer."""


class AsyncReportError(APIError):
    """An async CSV report that cannot be had: it FAILED, EXPIRED, or its download failed (B8).

    Attributes:
        report_id: the report's id (Spotify Ads Manager lists it under Reports).
        status: the report's last status (``FAILED``, ``EXPIRED``, ``PROCESSING``, ...).
    """

    def __init__(
        self, message: str, *, report_id: str = "", status: str = "", **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.report_id = report_id
        self.status = status


class AsyncReportTimeout(AsyncReportError):
    """An async report still PROCESSING when the client's deadline passed (B8)."""


class UnreadableReport(AsyncReportError, ValueError):
    """An async report's CSV with none of the columns asked for, or cut short (B8)."""


class IncompleteResult(APIError):
    """Paging stopped before the end: a cap was reached or the server's pages did not add up.

    Attributes:
        what: which listing or report, in words (``campaigns of ad account 1f0c...``).
        pages: pages received before it stopped.
        items: the items (listings) or rows (reports) that did arrive, in order.
        reason: a short tag of why it stopped (``max_items``, ``max_pages``, ``max_time``,
            ``repeated_token``, ``repeated_page``).
    """

    def __init__(
        self,
        message: str,
        *,
        what: str = "",
        pages: int = 0,
        items: list[Any] | None = None,
        reason: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.what = what
        self.pages = pages
        self.items = list(items or [])
        self.reason = reason


class IncompleteListing(IncompleteResult):
    """An offset-paged listing (campaigns, ad sets, ...) that could not be read to its end (B3)."""


class IncompleteReport(IncompleteResult):
    """A report whose continuation tokens could not be followed to the end (B6)."""


class TransportError(AdStudioError):
    """The network failed: connection refused or dropped, timeout, or a truncated body."""


class ResponseTooLarge(TransportError):
    """A response body (after decompression) larger than the client accepts.

    Attributes:
        max_body_bytes: the cap that was passed.
    """

    def __init__(self, message: str, *, max_body_bytes: int) -> None:
        super().__init__(message)
        self.max_body_bytes = max_body_bytes
