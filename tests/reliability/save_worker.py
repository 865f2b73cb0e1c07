"""Saves tokens in a loop until killed: ``python -m tests.reliability.save_worker DIR PROFILE``.

Prints ``start N`` before and ``done N`` after saving token N (N = 1, 2, ...), unbuffered, so
that after a SIGKILL the test knows which tokens the file may hold: the last one done, or the
one being saved.
"""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta

from adstudio_nb.token_store import FileTokenStore, Token

CLIENT_ID = "0123456789abcdef0123456789abcdef"
TOKEN_URL = "http://127.0.0.1:1/api/token"
_BASE = datetime(2026, 6, 1, tzinfo=UTC)


def numbered_token(number: int) -> Token:
    """Return the N-th token of the crash test (its number is in both tokens and the expiry)."""
    return Token(
        f"BQ-crash-access-{number}",
        f"AQ-crash-refresh-{number}",
        expires_at=_BASE + timedelta(seconds=number),
        authorized_at=_BASE,
    )


def number_of(token: Token) -> int:
    """Return the number of a token made by :func:`numbered_token`."""
    return int(token.access_token.rsplit("-", 1)[1])


def store_at(directory: str, profile: str) -> FileTokenStore:
    """Return the crash test's store."""
    return FileTokenStore(directory, profile, client_id=CLIENT_ID, token_url=TOKEN_URL)


def main() -> None:
    """Save tokens 1, 2, ... forever."""
    store = store_at(sys.argv[1], sys.argv[2])
    out = sys.stdout
    for number in itertools.count(1):
        out.write(f"start {number}\n")
        out.flush()
        store.save(numbered_token(number))
        out.write(f"done {number}\n")
        out.flush()


if __name__ == "__main__":
    main()
