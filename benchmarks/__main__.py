"""Run every scenario side by side, print a table, write benchmarks/results/latest.json."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from . import listings, report, shaping

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = {"listings": listings.run, "report": report.run, "shaping": shaping.run}


def _table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'scenario':<9} {'naive s':>9} {'toolkit s':>10} {'floor s':>8} "
        f"{'naive/tk':>9} {'tk/floor':>9}  extra"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        extra = []
        if "toolkit_429s" in r:
            extra.append(f"429s toolkit={r['toolkit_429s']} naive={r['naive_429s']}")
            extra.append(f"requests {r['requests']}/{r['requests_needed']}")
        if "peak_over_frame" in r:
            extra.append(
                f"peak {r['toolkit_peak_mb']:.0f} MB = {r['peak_over_frame']:.2f}x frame "
                f"({r['frame_mb']:.0f} MB)"
            )
        lines.append(
            f"{r['scenario']:<9} {r['naive_s']:>9.2f} {r['toolkit_s']:>10.2f} {r['floor_s']:>8.2f} "
            f"{r['speedup_vs_naive']:>9.1f} {r['toolkit_over_floor']:>9.2f}  {'; '.join(extra)}"
        )
        lines.append(f"{'':<9} {r['size']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    results = []
    started = time.perf_counter()
    for name, run in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(run(quick=args.quick))
    print(_table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "total_s": time.perf_counter() - started,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
