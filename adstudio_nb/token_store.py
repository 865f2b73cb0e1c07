"""Where tokens live: the :class:`Token` value, a file store and a memory store.

This module owns the token value (so that the store below ``auth`` in the import order can
hold it; ``adstudio_nb.auth`` re-exports it) and its storage:

* :class:`FileTokenStore`: one JSON file per profile in the per-user config directory (never
  the working directory), directory 0700, file and lock 0600 whatever the umask, replaced
  atomically, and a file lock so that two kernels never spend one rotating refresh token
  twice (A8). It reads only a small regular file of this user's, in a directory of this
  user's that nobody else can write, never through a symbolic link; anything else (a FIFO, a
  huge file, another user's file, damaged JSON) is refused with a :class:`TokenStoreError`
  that names the file and the command that fixes it.
* :class:`MemoryTokenStore`: for tests and for the in-process sandbox, whose tokens cannot
  outlive the process anyway.

It never does network I/O, and it never puts a token into a message, a repr or a log.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime.now(UTC)
    >>> store = MemoryTokenStore()
    >>> store.save(Token("access", "refresh", expires_at=now + timedelta(hours=1),
    ...                  authorized_at=now))
    >>> store.load().is_expired(now)
    False
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shlex
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .config import Settings, default_token_dir
from .exceptions import TokenStoreError

__all__ = [
    "REFRESH_TOKEN_LIFETIME",
    "FileTokenStore",
    "MemoryTokenStore",
    "Token",
    "TokenStore",
    "open_token_store",
]

log = logging.getLogger(__name__)

# A10: a refresh token expires 6 months after the original authorization (the sandbox uses the
# same 182 days); refreshing does not move that horizon.
REFRESH_TOKEN_LIFETIME = timedelta(days=182)
_FORMAT_VERSION = 1
_LOCK_TIMEOUT_S = 60.0
# A token file is under 4 KiB (a 20 KB access token still fits); anything past this is not one,
# and is refused before it is read.
_MAX_FILE_BYTES = 64 * 1024
# No number in a token file has more digits than a version; longer ones are refused before
# int() spends time on them.
_MAX_INT_DIGITS = 20
# Stored times outside this range are damage, and would overflow datetime arithmetic later
# (the refresh horizon adds 182 days, A10).
_EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_TIME = datetime(3000, 1, 1, tzinfo=UTC)
_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH
# O_NOFOLLOW: never read through a link; O_NONBLOCK: a FIFO cannot block the open (no effect
# on regular files).
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _aware(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return _aware(value).isoformat().replace("+00:00", "Z")


def _stored_time(data: dict[str, Any], key: str) -> datetime:
    """Return the ISO time ``data[key]`` as aware UTC, refusing times no token can have."""
    raw = data.get(key)
    if not isinstance(raw, str) or len(raw) > 64:
        raise ValueError(f"no {key}")
    try:
        value = _aware(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except OverflowError:  # year 1 with a positive offset, for example
        raise ValueError(f"{key} out of range") from None
    if not _EARLIEST_TIME <= value < _LATEST_TIME:
        raise ValueError(f"{key} out of range")
    return value


def _bounded_int(text: str) -> int:
    """Parse a JSON integer, refusing one longer than any a token file holds."""
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError("number too long")
    return int(text)


def _refuse_constant(name: str) -> Any:
    """Refuse ``NaN`` and ``Infinity``: not JSON, and never in a token file."""
    raise ValueError(f"{name} is not allowed")


def _kind(mode: int) -> str:
    """Name the kind of file ``mode`` describes, for a message."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "an unusual kind of file"


@dataclass(frozen=True)
class Token:
    """An access token with its refresh token and times; the tokens never show in repr or str.

    Attributes:
        access_token: the bearer token for the Ads API (1 hour, A11).
        refresh_token: the token that gets new access tokens (A8); None if none was issued.
        expires_at: when the access token expires (aware UTC).
        authorized_at: when the user logged in: the original authorization, kept across
            refreshes, because the refresh token's 6-month horizon counts from it (A10).
        scope: the granted scope (empty for the Ads API, A7).
        token_type: ``Bearer``.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    authorized_at: datetime
    scope: str = ""
    token_type: str = "Bearer"  # noqa: S105 (a type name)

    def __post_init__(self) -> None:
        object.__setattr__(self, "expires_at", _aware(self.expires_at))
        object.__setattr__(self, "authorized_at", _aware(self.authorized_at))

    @property
    def fingerprint(self) -> str:
        """Return 8 hex characters of the access token's SHA-256: tells tokens apart safely."""
        return hashlib.sha256(self.access_token.encode("utf-8", "surrogatepass")).hexdigest()[:8]

    @property
    def refresh_expires_at(self) -> datetime:
        """Return when the refresh token stops working: 182 days after authorization (A10)."""
        return self.authorized_at + REFRESH_TOKEN_LIFETIME

    def expires_in_s(self, now: datetime | None = None) -> float:
        """Return the seconds the access token has left (negative once expired)."""
        now = _aware(now) if now is not None else datetime.now(UTC)
        return (self.expires_at - now).total_seconds()

    def is_expired(self, now: datetime | None = None, *, leeway_s: float = 0.0) -> bool:
        """Tell whether the access token has expired, or will within ``leeway_s`` seconds."""
        return self.expires_in_s(now) <= leeway_s

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict for storage (it holds the tokens: keep it private)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "scope": self.scope,
            "expires_at": _iso(self.expires_at),
            "authorized_at": _iso(self.authorized_at),
        }

    @classmethod
    def from_dict(cls, data: object) -> Token:
        """Rebuild a token from :meth:`to_dict`'s output.

        Raises:
            ValueError: the data is not a stored token (wrong types, times out of range).
        """
        if not isinstance(data, dict):
            raise ValueError("not a token object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ValueError("no access token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("bad refresh token")
        scope, token_type = data.get("scope", ""), data.get("token_type", "Bearer")
        if not isinstance(scope, str) or not isinstance(token_type, str):
            raise ValueError("bad scope or token type")
        expires_at = _stored_time(data, "expires_at")
        authorized_at = _stored_time(data, "authorized_at")
        return cls(access, refresh, expires_at, authorized_at, scope=scope, token_type=token_type)

    def _summary(self) -> str:
        return (
            f"fingerprint={self.fingerprint} expires_at={_iso(self.expires_at)} "
            f"authorized_at={_iso(self.authorized_at)}"
        )

    def __repr__(self) -> str:
        return f"<Token {self._summary()}>"

    def __str__(self) -> str:
        return f"Token {self._summary()}"

    def _repr_html_(self) -> str:
        """Show the fingerprint and the times in a notebook, never the tokens."""
        rows = [
            ("fingerprint", self.fingerprint),
            ("access token expires", _iso(self.expires_at)),
            ("authorized", _iso(self.authorized_at)),
            ("refresh token expires", _iso(self.refresh_expires_at)),
        ]
        body = "".join(f"<tr><th>{k}</th><td><code>{v}</code></td></tr>" for k, v in rows)
        return f"<table class='adstudio-token'>{body}</table>"


class TokenStore(Protocol):
    """Where a login's token lives: load, save, clear, and a lock around read-refresh-write."""

    def load(self) -> Token | None:
        """Return the stored token, or None when there is none."""
        ...

    def save(self, token: Token) -> None:
        """Store ``token`` in place of the previous one."""
        ...

    def clear(self) -> None:
        """Forget the stored token."""
        ...

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store's lock (across processes for files) for a read-refresh-write."""
        ...

    @property
    def location(self) -> str:
        """Say where tokens are kept (a path or ``memory``), for display."""
        ...


class MemoryTokenStore:
    """A token store in this process's memory: nothing survives the process.

    Used by tests and by the in-process sandbox. Thread-safe; ``locked()`` is re-entrant.
    """

    def __init__(self) -> None:
        self._token: Token | None = None
        self._lock = threading.RLock()

    def load(self) -> Token | None:
        """Return the stored token, or None."""
        with self._lock:
            return self._token

    def save(self, token: Token) -> None:
        """Keep ``token`` in memory."""
        with self._lock:
            self._token = token

    def clear(self) -> None:
        """Forget the token."""
        with self._lock:
            self._token = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's (thread) lock."""
        with self._lock:
            yield

    @property
    def location(self) -> str:
        """Return ``memory``."""
        return "memory"

    def __repr__(self) -> str:
        return f"<MemoryTokenStore {'with' if self._token else 'no'} token>"


class FileTokenStore:
    """One JSON file per profile, 0600 in a 0700 directory, replaced atomically under a lock.

    The file records which client id and token endpoint it belongs to; a corrupt, foreign or
    unreadable file raises :class:`TokenStoreError` naming the file and how to reset it. On
    POSIX systems the directory and the file must belong to this user and be writable by no
    one else; a file or directory merely readable by others is tightened (0600, 0700) with a
    warning. The token file is never followed through a symbolic link.

    Args:
        directory: where token files live; None means the per-user config directory
            (``platformdirs``), never the working directory.
        profile: names the file (``<profile>.json``).
        client_id: the client the tokens belong to; a file of another client is refused.
        token_url: the token endpoint the tokens belong to.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        profile: str = "default",
        *,
        client_id: str | None = None,
        token_url: str | None = None,
    ) -> None:
        from filelock import FileLock

        self.directory = Path(directory) if directory is not None else default_token_dir()
        self.profile = profile
        self.client_id = client_id
        self.token_url = token_url
        self.path = self.directory / f"{profile}.json"
        self._lock_path = self.directory / f"{profile}.json.lock"
        # is_singleton: two stores of one profile in this process share one re-entrant lock.
        # mode: filelock sets it on the file it creates, whatever the umask.
        self._filelock = FileLock(
            str(self._lock_path), timeout=_LOCK_TIMEOUT_S, mode=0o600, is_singleton=True
        )

    @property
    def location(self) -> str:
        """Return the token file's path."""
        return str(self.path)

    def _reset_hint(self) -> str:
        return (
            f"Reset it with `adstudio-nb logout --profile {self.profile}` or delete "
            f"{self.path}, then log in again."
        )

    def _file_error(self, what: str) -> TokenStoreError:
        """Return the error for a token file that cannot be used: what, then the reset."""
        return TokenStoreError(
            f"The token file {self.path} {what}. " + self._reset_hint(), path=str(self.path)
        )

    def _ensure_directory(self) -> None:
        """Create the directory and any missing parents 0700, then check it as :meth:`load` does.

        The modes are set explicitly, so a umask of 000 cannot leave a directory open to
        others.

        Raises:
            TokenStoreError: it cannot be created, or belongs to another user, or others can
                write to it.
        """
        try:
            if os.name != "posix":
                self.directory.mkdir(parents=True, exist_ok=True)
                return
            missing = []
            for candidate in (self.directory, *self.directory.parents):
                if os.path.lexists(candidate):
                    break
                missing.append(candidate)
            for created in reversed(missing):
                with contextlib.suppress(FileExistsError):  # another process made it first
                    os.mkdir(created, 0o700)
                    os.chmod(created, 0o700)
            info = os.stat(self.directory)
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot create the token directory {self.directory} ({exc.strerror or exc}): "
                "check its permissions or set ADSTUDIO_TOKEN_DIR.",
                path=str(self.directory),
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise TokenStoreError(
                f"The token directory {self.directory} is {_kind(info.st_mode)}, not a "
                "directory: move it away, or set ADSTUDIO_TOKEN_DIR to another directory.",
                path=str(self.directory),
            )
        self._check_directory(info, lambda: os.chmod(self.directory, 0o700))

    def _check_directory(self, info: os.stat_result, tighten: Callable[[], None]) -> None:
        """Refuse a directory of another user's or writable by others; tighten a readable one."""
        if os.name != "posix":
            return
        where = shlex.quote(str(self.directory))
        uid = os.geteuid()
        if info.st_uid != uid:
            raise TokenStoreError(
                f"The token directory {self.directory} belongs to another user (uid "
                f"{info.st_uid}), so the tokens in it may not be yours: set ADSTUDIO_TOKEN_DIR "
                f"to a directory of your own, or make it yours with `sudo chown {uid} {where}`.",
                path=str(self.directory),
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & _WRITABLE_BY_OTHERS:
            raise TokenStoreError(
                f"The token directory {self.directory} can be written by other users (mode "
                f"{mode:04o}), so its token file could have been replaced: run "
                f"`chmod 700 {where}`, then `adstudio-nb logout --profile {self.profile}` and "
                "log in again.",
                path=str(self.directory),
            )
        if mode & 0o077:
            log.warning("token directory %s was readable by others; set it to 0700", self.directory)
            try:
                tighten()
            except OSError as exc:
                raise TokenStoreError(
                    f"The token directory {self.directory} is readable by other users and "
                    f"cannot be tightened ({exc.strerror or exc}): run `chmod 700 {where}`.",
                    path=str(self.directory),
                ) from None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the profile's file lock (re-entrant in this process, exclusive across them)."""
        from filelock import Timeout

        self._ensure_directory()
        try:
            self._filelock.acquire()
            self._tighten_lock_file()
        except Timeout:
            raise TokenStoreError(
                f"Another process has held the token file lock {self._lock_path} for over "
                f"{_LOCK_TIMEOUT_S:.0f} s: close the other kernel or delete the lock file.",
                path=str(self._lock_path),
            ) from None
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot lock {self._lock_path} ({exc.strerror or exc}): check the directory's "
                "permissions.",
                path=str(self._lock_path),
            ) from None
        try:
            yield
        finally:
            self._filelock.release()

    def _tighten_lock_file(self) -> None:
        """Set a lock file left looser than 0600 (by an older version, a umask) to 0600."""
        if os.name != "posix":
            return
        with contextlib.suppress(OSError):
            fd = os.open(self._lock_path, _READ_FLAGS)
            try:
                info = os.fstat(fd)
                if (
                    stat.S_ISREG(info.st_mode)
                    and info.st_uid == os.geteuid()
                    and stat.S_IMODE(info.st_mode) & 0o077
                ):
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)

    def load(self) -> Token | None:
        """Return the stored token, or None when the file does not exist.

        Raises:
            TokenStoreError: the file is unreadable, damaged, too big, not a regular file, a
                symbolic link, another user's or writable by others, or belongs to another
                client; its message names the file and the command that fixes it.
        """
        raw = self._read() if os.name == "posix" else self._read_portable()
        if raw is None:
            return None
        try:
            data = json.loads(
                raw.decode("utf-8"), parse_int=_bounded_int, parse_constant=_refuse_constant
            )
            version = data.get("version") if isinstance(data, dict) else None
            if type(version) is not int or version != _FORMAT_VERSION:  # True is not 1 here
                raise ValueError("unknown format")
            token = Token.from_dict(data.get("token"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: JSON nested deeper than the interpreter's stack.
            raise self._file_error("is damaged") from None
        if self.client_id is not None and data.get("client_id") != self.client_id:
            raise TokenStoreError(
                f"The token file {self.path} belongs to another client id than the configured "
                f"one. Use another profile, or: " + self._reset_hint(),
                path=str(self.path),
            )
        if self.token_url is not None and data.get("token_url") != self.token_url:
            stored_url = data.get("token_url")
            shown = f"{stored_url:.80}" if isinstance(stored_url, str) else "not a URL"
            raise TokenStoreError(
                f"The token file {self.path} belongs to another accounts service "
                f"({shown}). Use another profile, or: " + self._reset_hint(),
                path=str(self.path),
            )
        return token

    def _read(self) -> bytes | None:
        """Read the token file (POSIX): no link followed, regular, ours, small; None if absent.

        The directory is opened first and the file relative to it, and both are checked on
        the opened descriptors (``fstat``), so nothing can be swapped between check and read.
        """
        try:
            dir_fd = os.open(self.directory, _DIRECTORY_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot open the token directory {self.directory} ({exc.strerror or exc}): "
                "check its permissions or set ADSTUDIO_TOKEN_DIR.",
                path=str(self.directory),
            ) from None
        try:
            self._check_directory(os.fstat(dir_fd), lambda: os.fchmod(dir_fd, 0o700))
            try:
                fd = os.open(self.path.name, _READ_FLAGS, dir_fd=dir_fd)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise self._open_error(exc, dir_fd) from None
            try:
                return self._read_checked(fd)
            finally:
                os.close(fd)
        finally:
            os.close(dir_fd)

    def _open_error(self, exc: OSError, dir_fd: int) -> TokenStoreError:
        """Explain why opening the token file failed (a link is refused, not followed)."""
        with contextlib.suppress(OSError):
            info = os.stat(self.path.name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                return self._file_error(
                    "is a symbolic link, and token files are never read through one"
                )
            if not stat.S_ISREG(info.st_mode):  # a socket cannot even be opened (ENXIO)
                return self._file_error(f"is {_kind(info.st_mode)}, not a regular file")
        if exc.errno == errno.ELOOP:
            return self._file_error(
                "is a symbolic link, and token files are never read through one"
            )
        return TokenStoreError(
            f"Cannot read the token file {self.path} ({exc.strerror or exc}). "
            + self._reset_hint(),
            path=str(self.path),
        )

    def _read_checked(self, fd: int) -> bytes:
        """Check the opened token file and read it, at most :data:`_MAX_FILE_BYTES`."""
        info = os.fstat(fd)
        where = shlex.quote(str(self.path))
        if not stat.S_ISREG(info.st_mode):
            raise self._file_error(f"is {_kind(info.st_mode)}, not a regular file")
        uid = os.geteuid()
        if info.st_uid != uid:
            raise TokenStoreError(
                f"The token file {self.path} belongs to another user (uid {info.st_uid}), so "
                "its tokens may not be yours. Delete it with `adstudio-nb logout --profile "
                f"{self.profile}` and log in again, or, if it is yours, run "
                f"`sudo chown {uid} {where}`.",
                path=str(self.path),
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & _WRITABLE_BY_OTHERS:
            raise TokenStoreError(
                f"The token file {self.path} can be written by other users (mode {mode:04o}), "
                f"so its tokens may have been replaced. Run `chmod 600 {where}` if you trust "
                f"it, or reset it with `adstudio-nb logout --profile {self.profile}` and log in "
                "again.",
                path=str(self.path),
            )
        self._check_size(info.st_size)
        if mode & 0o077:
            log.warning("token file %s was readable by others; set it to 0600", self.path)
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
        return self._read_capped(fd)

    def _check_size(self, size: int) -> None:
        if size > _MAX_FILE_BYTES:
            raise self._file_error(
                f"is {size} bytes, far more than a token file holds (at most "
                f"{_MAX_FILE_BYTES // 1024} KiB), so it is not one"
            )

    def _read_capped(self, fd: int) -> bytes:
        """Read ``fd`` to its end, refusing more than :data:`_MAX_FILE_BYTES` (it may grow)."""
        chunks: list[bytes] = []
        total = 0
        try:
            while chunk := os.read(fd, _MAX_FILE_BYTES + 1 - total):
                chunks.append(chunk)
                total += len(chunk)
                if total > _MAX_FILE_BYTES:
                    self._check_size(total)
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot read the token file {self.path} ({exc.strerror or exc}). "
                + self._reset_hint(),
                path=str(self.path),
            ) from None
        return b"".join(chunks)

    def _read_portable(self) -> bytes | None:
        """Read the token file where POSIX owners and ``dir_fd`` do not exist (Windows)."""
        try:
            fd = os.open(self.path, _READ_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot read the token file {self.path} ({exc.strerror or exc}). "
                + self._reset_hint(),
                path=str(self.path),
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._file_error(f"is {_kind(info.st_mode)}, not a regular file")
            self._check_size(info.st_size)
            return self._read_capped(fd)
        finally:
            os.close(fd)

    def save(self, token: Token) -> None:
        """Write ``token`` atomically: a temporary 0600 file, fsync, then ``os.replace``.

        A process killed while saving leaves the old file or the new one, never a broken one.

        Raises:
            TokenStoreError: the directory or file cannot be written.
        """
        payload = {
            "version": _FORMAT_VERSION,
            "profile": self.profile,
            "client_id": self.client_id,
            "token_url": self.token_url,
            "saved_at": _iso(datetime.now(UTC)),
            "token": token.to_dict(),
        }
        data = json.dumps(payload, indent=2).encode("utf-8")
        # The tokens in the clear stay in this frame only while writing: a failure is raised
        # after they are gone, so a verbose traceback (frame locals) cannot show them.
        del payload
        failure: TokenStoreError | None = None
        with self.locked():
            self._remove_stale_temporaries()
            tmp_name = ""
            try:
                # mkstemp creates the file 0600 from the start: no window where it is readable.
                fd, tmp_name = tempfile.mkstemp(
                    prefix=f".{self.profile}.", suffix=".tmp", dir=self.directory
                )
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, self.path)
                tmp_name = ""
                self._fsync_directory()
            except OSError as exc:
                failure = TokenStoreError(
                    f"Cannot write the token file {self.path} ({exc.strerror or exc}): check "
                    "the directory's permissions and free space.",
                    path=str(self.path),
                )
            finally:
                del data
                if tmp_name:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp_name)
        if failure is not None:
            raise failure
        log.debug("token saved to %s", self.path)

    def _fsync_directory(self) -> None:
        """Make the rename itself durable (POSIX); best effort elsewhere."""
        if os.name != "posix":
            return
        with contextlib.suppress(OSError):
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a process killed mid-save (we hold the lock)."""
        for leftover in self.directory.glob(f".{self.profile}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def clear(self) -> None:
        """Delete the token file (nothing happens when there is none).

        Raises:
            TokenStoreError: the file exists but cannot be deleted.
        """
        with self.locked():
            try:
                self.path.unlink(missing_ok=True)
            except OSError as exc:
                raise TokenStoreError(
                    f"Cannot delete the token file {self.path} ({exc.strerror or exc}).",
                    path=str(self.path),
                ) from None
        log.debug("token file %s cleared", self.path)

    def __repr__(self) -> str:
        return f"<FileTokenStore {self.path}>"


# Stores shared within the process, so that a login done by one object (a widget) is seen by
# another (the API client) when tokens live in memory.
_memory_stores: dict[tuple[str, str, str], MemoryTokenStore] = {}
_memory_stores_lock = threading.Lock()


def open_token_store(settings: Settings) -> TokenStore:
    """Return the store ``settings`` ask for: a file per profile, or process memory.

    Memory stores are shared within the process per token endpoint, client id and profile.
    """
    if settings.token_storage == "memory":  # noqa: S105 (not a password)
        key = (settings.token_url, settings.client_id, settings.profile)
        with _memory_stores_lock:
            return _memory_stores.setdefault(key, MemoryTokenStore())
    return FileTokenStore(
        settings.token_dir,
        settings.profile,
        client_id=settings.client_id,
        token_url=settings.token_url,
    )
