"""A process sharing a token file with the test (``python -m tests.reliability.token_worker``).

Reads one JSON line of settings from stdin, then lines ``round <n> <clock offset s>``: for
each its threads meet at a barrier, each asks its own :class:`~adstudio_nb.auth.OAuthFlow`
(own ``FileTokenStore`` object, same file) for an access token, uses it on the Ads API, and
the process prints one JSON line with what every thread got. ``quit`` ends it. Logs go to
stderr at DEBUG, for the secrets canary.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import AdStudioError


def fingerprint(token: str) -> str:
    """Return 12 hex characters of a token's SHA-256 (never the token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def settings_from(config: dict[str, Any]) -> Settings:
    """Build the shared settings from the JSON the test sent."""
    values = dict(config["settings"])
    values["token_dir"] = Path(values["token_dir"])
    return Settings(**values)


def use_token(flow: OAuthFlow, api_base_url: str) -> dict[str, Any]:
    """Get an access token from ``flow`` and call ``GET /businesses`` with it (B1, B10)."""
    try:
        token = flow.access_token()
    except AdStudioError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    answer = requests.get(
        api_base_url + "/businesses", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return {"fingerprint": fingerprint(token), "status": answer.status_code}


def main() -> None:
    """Serve rounds until ``quit``."""
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    config = json.loads(sys.stdin.readline())
    settings = settings_from(config)
    offset = [0.0]

    def clock() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset[0])

    threads = int(config["threads"])
    flows = [OAuthFlow(settings, clock=clock) for _ in range(threads)]
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        offset[0] = float(words[2])
        results = run_round(flows, settings.api_base_url)
        print(json.dumps({"round": int(words[1]), "results": results}), flush=True)


def run_round(flows: list[OAuthFlow], api_base_url: str) -> list[dict[str, Any]]:
    """Let every flow ask for a token at once (one thread each) and use it."""
    barrier = threading.Barrier(len(flows))
    results: list[dict[str, Any]] = [{} for _ in flows]

    def work(i: int) -> None:
        barrier.wait()
        results[i] = use_token(flows[i], api_base_url)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(flows))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


if __name__ == "__main__":
    main()
