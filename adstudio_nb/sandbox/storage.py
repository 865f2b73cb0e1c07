"""The sandbox's storage origin: where async CSV reports are downloaded from, as on Spotify (B8).

Spotify's ``report_url`` is a signed link to cloud storage (the spec's example is on
``storage.googleapis.com``), not an Ads API path: it needs no bearer token, and such a link
refuses one (a storage service allows one way of authenticating per request), and it stops
working when its signature expires. This module owns that other side:

* :class:`ReportStorage`, the bucket: objects written in the background while a report is
  PROCESSING (so a big report costs the time it takes to build, as on Spotify), links signed
  with an HMAC of the path and the expiry, and a record of the headers of every download
  request (tests read it to see that no ``Authorization`` header came);
* :class:`StorageApplication`, the WSGI application the sandbox serves on its own port on
  127.0.0.1: ``GET /<bucket>/<object>?X-Goog-...`` answers the object, or a storage-shaped
  XML error (400 ``ExpiredToken`` past the expiry, 400 ``InvalidArgument`` for a request that
  also carries ``Authorization``, 403 ``SignatureDoesNotMatch`` / ``AccessDenied`` for a
  link that is not one, 404 ``NoSuchKey``).

It never answers Ads API requests, never reads the data set (the Ads API side writes the
objects), and imports nothing of the sandbox but the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from .clock import SandboxClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

BUCKET = "adstudio-sandbox-reports"
URL_LIFETIME_S = 3600.0  # a signed link works for an hour; the status call hands out a new one
PROCESSING_S = 10.0  # B8: a report is PROCESSING for at least this long (sandbox clock)
_WAIT_FOR_WRITE_S = 120.0  # the longest a status call waits for a report still being built
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class StorageRequest:
    """One request the storage origin received: what a test may look at.

    Attributes:
        method: the HTTP method.
        path: the object path (no query: it holds the signature).
        headers: the request's headers, names in lower case.
    """

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class _Object:
    """One object of the bucket: its bytes once written, or why writing failed."""

    done: threading.Event = field(default_factory=threading.Event)
    content: bytes | None = None
    failed: bool = False


class StorageError(Exception):
    """A storage-shaped error answer: status, code and message (XML, as cloud storage sends)."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def to_response(self) -> Response:
        """Render as cloud storage does: ``<Error><Code>…</Code><Message>…</Message></Error>``."""
        details = f"<Details>{escape(self.details)}</Details>" if self.details else ""
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Error>"
            f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            f"{details}</Error>"
        )
        return Response(body, status=self.status, mimetype="application/xml")


class ReportStorage:
    """The bucket async reports are written to, and the signer of its download links (B8).

    Args:
        clock: the sandbox clock (link expiry and report processing follow it).
        host: the loopback address the storage origin binds.
        url_lifetime_s: how long a signed link works.
        processing_s: how long a report stays PROCESSING at least.
        key: the signing key (random by default: links of one sandbox mean nothing to another).
        max_recorded: how many requests :attr:`requests` keeps (the latest).
    """

    def __init__(
        self,
        clock: SandboxClock,
        *,
        host: str = "127.0.0.1",
        url_lifetime_s: float = URL_LIFETIME_S,
        processing_s: float = PROCESSING_S,
        key: bytes | None = None,
        max_recorded: int = 1000,
    ) -> None:
        self.clock = clock
        self.host = host
        self.port = 0
        self.url_lifetime_s = url_lifetime_s
        self.processing_s = processing_s
        self._key = key or secrets.token_bytes(32)
        self._objects: dict[str, _Object] = {}
        self._lock = threading.Lock()
        self.requests: deque[StorageRequest] = deque(maxlen=max_recorded)

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:PORT`` of the storage origin (0 until it serves)."""
        return f"http://{self.host}:{self.port}"

    # -- objects ------------------------------------------------------------------------------

    def write_later(self, path: str, produce: Callable[[], bytes]) -> None:
        """Build an object on a background thread, as Spotify builds a report while PROCESSING."""
        obj = _Object()
        with self._lock:
            self._objects[path] = obj

        def run() -> None:
            try:
                obj.content = produce()
            except Exception:  # the report ends FAILED; the sandbox keeps serving
                obj.failed = True
            finally:
                obj.done.set()

        threading.Thread(target=run, name=f"storage:{path[-12:]}", daemon=True).start()

    def state(self, path: str, *, wait: bool = False) -> str:
        """Return ``"missing"``, ``"writing"``, ``"written"`` or ``"failed"`` for an object.

        With ``wait``, a report still being built is waited for (at most two minutes): once
        the sandbox clock says a report is done, its status must not depend on this
        machine's speed.
        """
        with self._lock:
            obj = self._objects.get(path)
        if obj is None:
            return "missing"
        if wait:
            obj.done.wait(_WAIT_FOR_WRITE_S)
        if not obj.done.is_set():
            return "writing"
        return "failed" if obj.failed else "written"

    def read(self, path: str) -> bytes | None:
        """Return an object's bytes, or None when there is none (yet)."""
        with self._lock:
            obj = self._objects.get(path)
        return obj.content if obj is not None and obj.done.is_set() else None

    # -- signed links -------------------------------------------------------------------------

    def _signature(self, path: str, date: str, expires: str) -> str:
        message = f"GET\n{path}\n{date}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def signed_url(self, path: str) -> str:
        """Return a download link for the object at ``path``, valid for ``url_lifetime_s``."""
        object_path = f"/{BUCKET}/{path.lstrip('/')}"
        date = datetime.fromtimestamp(self.clock.now(), tz=UTC).strftime(_DATE_FORMAT)
        expires = str(int(self.url_lifetime_s))
        query = urlencode(
            {
                "X-Goog-Algorithm": "GOOG4-HMAC-SHA256",
                "X-Goog-Date": date,
                "X-Goog-Expires": expires,
                "X-Goog-SignedHeaders": "host",
                "X-Goog-Signature": self._signature(object_path, date, expires),
            }
        )
        return f"{self.base_url}{quote(object_path)}?{query}"

    def check(self, request: Request) -> str:
        """Return the object key a download request may read, or raise :class:`StorageError`."""
        if request.method not in ("GET", "HEAD"):
            raise StorageError(405, "MethodNotAllowed", "Only GET and HEAD are allowed here.")
        if "Authorization" in request.headers:
            # A signed link is the authentication: a second mechanism is refused.
            raise StorageError(
                400,
                "InvalidArgument",
                "Only one authentication mechanism is allowed: the signature in the query "
                "string or the Authorization header, not both.",
            )
        args = request.args
        date, expires = args.get("X-Goog-Date", ""), args.get("X-Goog-Expires", "")
        signature = args.get("X-Goog-Signature", "")
        if not (date and expires and signature):
            raise StorageError(
                403, "AccessDenied", "Anonymous caller does not have storage.objects.get access."
            )
        expected = self._signature(request.path, date, expires)
        if not hmac.compare_digest(expected, signature):
            raise StorageError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        try:
            signed_at = datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC).timestamp()
            lifetime = int(expires)
        except ValueError:
            raise StorageError(
                400, "InvalidArgument", "Invalid X-Goog-Date or X-Goog-Expires."
            ) from None
        if self.clock.now() > signed_at + lifetime:
            raise StorageError(
                400,
                "ExpiredToken",
                "The provided token has expired.",
                f"Request signature expired at: {_iso(signed_at + lifetime)}",
            )
        prefix = f"/{BUCKET}/"
        if not request.path.startswith(prefix):
            raise StorageError(404, "NoSuchBucket", "The specified bucket does not exist.")
        return request.path[len(prefix) :]


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _is_loopback(host: str, port: int) -> bool:
    try:
        parts = urlsplit("//" + host)
        named = parts.port
    except ValueError:
        return False
    return parts.hostname in _LOOPBACK and (named or 80) == port


class StorageApplication:
    """The WSGI application of the storage origin: signed downloads of report objects (B8).

    Args:
        storage: the bucket it serves.
    """

    def __init__(self, storage: ReportStorage) -> None:
        self.storage = storage

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one download request."""
        request = Request(environ)
        storage = self.storage
        storage.requests.append(
            StorageRequest(
                request.method,
                request.path,
                {name.lower(): value for name, value in request.headers.items()},
            )
        )
        try:
            if not _is_loopback(request.host, storage.port):
                raise StorageError(403, "AccessDenied", "This host is not served here.")
            key = storage.check(request)
            content = storage.read(key)
            if content is None:
                raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
            name = key.rsplit("/", 1)[-1]
            response = Response(
                b"" if request.method == "HEAD" else content,
                mimetype="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Content-Length": str(len(content)),
                    "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                },
            )
        except StorageError as exc:
            response = exc.to_response()
        return response(environ, start_response)
