"""The soak runner: ``python -m tests.reliability.soak`` runs the reliability suite at full size.

It runs ``pytest tests/reliability`` with ``ADSTUDIO_SOAK=1`` (1,000 fault pages, 20 token
expiries, 200 SIGKILLs, 10,000 examples per property, 64 x 500 load requests) and collects
the figures the tests record, then prints ``scenario | count | failures | retries | p50 ms |
p99 ms | notes`` and writes the same rows, with the pytest outcome, to ``artifacts/soak.json``.
``--ci`` runs the CI-sized suite instead. The exit code is pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.reliability.conftest import FIGURES_ENV
from tests.reliability.figures import Figures, table
from tests.reliability.scale import SOAK_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "artifacts" / "soak.json"


class _Row(Figures):
    """A row read back from JSON: its percentiles come from the file, not from latencies."""

    @property
    def p50_ms(self) -> float | None:
        return self.details.get("p50_ms")

    @property
    def p99_ms(self) -> float | None:
        return self.details.get("p99_ms")


def _rows(path: Path) -> list[_Row]:
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return []
    rows = []
    for raw in json.loads(path.read_text(encoding="utf-8")):
        row = _Row(
            raw["scenario"],
            count=raw["count"],
            failures=raw["failures"],
            retries=raw["retries"],
            notes=raw["notes"],
            details=raw.get("details", {}),
        )
        row.details["p50_ms"], row.details["p99_ms"] = raw["p50_ms"], raw["p99_ms"]
        rows.append(row)
    return rows


def _junit(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"tests": 0, "failed": [], "skipped": 0}
    root = ET.parse(path).getroot()  # noqa: S314 (our own file)
    failed, tests, skipped = [], 0, 0
    for case in root.iter("testcase"):
        tests += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
    return {"tests": tests, "failed": failed, "skipped": skipped}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the table, write the JSON; return pytest's exit code."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.soak", description=__doc__)
    parser.add_argument("--ci", action="store_true", help="CI counts instead of the soak counts")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON file")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k faults)")
    args = parser.parse_args(argv)
    mode = "ci" if args.ci else "soak"
    with tempfile.TemporaryDirectory(prefix="adstudio-soak-") as tmp:
        figures_file, junit_file = Path(tmp) / "figures.json", Path(tmp) / "junit.xml"
        env = dict(os.environ)
        env[FIGURES_ENV] = str(figures_file)
        if args.ci:
            env.pop(SOAK_ENV, None)
        else:
            env[SOAK_ENV] = "1"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/reliability",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",  # the suite captures DEBUG logs itself; pytest need not keep them too
            "--tb=short",
            f"--junitxml={junit_file}",
            "-o",
            "timeout=3600",
            *args.pytest_args,
        ]
        started = time.monotonic()
        exit_code = subprocess.call(command, cwd=REPO_ROOT, env=env)
        elapsed = time.monotonic() - started
        rows = _rows(figures_file)
        outcome = _junit(junit_file)
    passed = outcome["tests"] - len(outcome["failed"]) - outcome["skipped"]
    print()
    print(f"Reliability figures ({mode} mode, {elapsed:.0f} s):")
    print(table(list(rows)))
    print()
    for name in outcome["failed"]:
        print(f"FAILED {name}")
    print(f"{passed} passed, {len(outcome['failed'])} failed")
    report = {
        "mode": mode,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round(elapsed, 1),
        "pytest_exit_code": exit_code,
        "tests": outcome["tests"],
        "passed": passed,
        "failed": outcome["failed"],
        "skipped": outcome["skipped"],
        "rows": [r.to_json() for r in rows],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
