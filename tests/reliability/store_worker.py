"""Syncs a report into a store, as a kernel would: ``python -m tests.reliability.store_worker``.

Arguments: ``STORE START END [PAUSE_AT]``; the sandbox's API base URL and an access token come
in the environment (``STORE_WORKER_API``, ``STORE_WORKER_TOKEN``: never on the command line).
Prints ``done ROWS`` when the report is complete. With ``PAUSE_AT`` = N, the N-th write of a
report part stops inside its transaction (rows and coverage written, not committed), prints
``writing N`` and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from adstudio_nb.ads import Ads
from adstudio_nb.store import Store

FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND", "LEADS"]


class PausingStore(Store):
    """A store whose N-th part write stops before its commit (for the SIGKILL test)."""

    def __init__(self, *args: Any, pause_at: int, **kwargs: Any) -> None:
        self.pause_at = pause_at
        self.writes = 0
        super().__init__(*args, **kwargs)

    def _write_coverage(self, con: Any, coverage: Any) -> None:
        super()._write_coverage(con, coverage)
        self.writes += 1
        if self.writes == self.pause_at:
            sys.stdout.write(f"writing {self.writes}\n")
            sys.stdout.flush()
            time.sleep(120)  # the test kills this process; bounded all the same
            raise SystemExit(3)


def main() -> None:
    """Run one report sync into the store named on the command line."""
    path, start, end = sys.argv[1:4]
    pause_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    store = PausingStore(path, pause_at=pause_at) if pause_at else Store(path)
    api, token = os.environ["STORE_WORKER_API"], os.environ["STORE_WORKER_TOKEN"]
    with Ads.from_token(api, token, pacing=False, progress=False, store=store) as ads:
        account = ads.ad_accounts().iloc[0]
        frame = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
    sys.stdout.write(f"done {len(frame)}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
