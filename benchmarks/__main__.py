"""Run every scenario side by side, print a table, write benchmarks/results/latest.json."""

from __future__ import annotations

import argparse
import json
import operator
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import listings, report, rerun, shaping, store_read, year_report

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = {
    "listings": listings.run,
    "report": report.run,
    "shaping": shaping.run,
    "year_report": year_report.run,
    "rerun": rerun.run,
    "store_read": store_read.run,
}


_LABELS = {
    "speedup_vs_naive": "naive/toolkit",
    "toolkit_over_floor": "toolkit/floor",
    "peak_over_frame": "peak/frame",
    "toolkit_429s": "429s (toolkit)",
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
}


def judge(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return each target of a scenario's result with its value and whether it is met."""
    verdicts = {}
    for name, rule in result.get("targets", {}).items():
        op, limit = rule.split()
        value = float(result[name])
        verdicts[name] = {
            "target": rule,
            "value": value,
            "met": _COMPARE[op](value, float(limit)),
        }
    return verdicts


def _extra(r: dict[str, Any]) -> list[str]:
    notes = [str(r["size"])]
    if "toolkit_runs_s" in r:
        runs = ", ".join(f"{t:.2f}" for t in r["toolkit_runs_s"])
        notes.append(f"toolkit = median of runs [{runs}] s")
    if "bare_s" in r:
        notes.append(
            f"measured reference: a bare client handed all {r['bare_requests']} addresses, "
            f"parsing nothing, {r['bare_s']:.2f} s = {r['bare_over_floor']:.2f}x floor "
            f"(toolkit/bare {r['toolkit_over_bare']:.2f})"
        )
    if "toolkit_429s" in r:
        notes.append(
            f"429s toolkit={r['toolkit_429s']} naive={r['naive_429s']}; "
            f"requests {r['requests']}/{r['requests_needed']} needed"
        )
    if r.get("toolkit_over_strict_floor"):
        notes.append(
            f"stricter floor (first 150 at once, fixed windows) {r['strict_floor_s']:.2f} s: "
            f"toolkit/strict floor {r['toolkit_over_strict_floor']:.2f}"
        )
    if "stdlib_parse_s" in r:
        notes.append(
            f"floor = orjson parse; stdlib json parse {r['stdlib_parse_s']:.2f} s "
            f"(toolkit/stdlib parse {r['toolkit_over_stdlib_parse']:.2f})"
        )
    if "peak_over_frame" in r:
        notes.append(
            f"peak {r['toolkit_peak_mb']:.0f} MB = {r['peak_over_frame']:.2f}x frame "
            f"({r['frame_mb']:.0f} MB)"
        )
    if r.get("naive_extrapolated"):
        notes.append(f"naive measured on {r['naive_measured_rows']:,} rows, scaled linearly")
    elif "naive_measured_rows" in r:
        notes.append(f"naive measured on all {r['naive_measured_rows']:,} rows")
    return notes


def _table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'scenario':<9} {'naive s':>8} {'toolkit s':>9} {'floor s':>8} "
        f"{'naive/tk':>8} {'tk/floor':>8}  {'target':<22} {'value':>7}  met"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        verdicts = list(judge(r).items()) or [("", None)]
        for i, (name, verdict) in enumerate(verdicts):
            if i == 0:
                left = (
                    f"{r['scenario']:<9} {r['naive_s']:>8.2f} {r['toolkit_s']:>9.2f} "
                    f"{r['floor_s']:>8.2f} {r['speedup_vs_naive']:>8.1f} "
                    f"{r['toolkit_over_floor']:>8.2f}"
                )
            else:
                left = " " * 55
            if verdict is None:
                lines.append(left)
                continue
            rule = f"{_LABELS.get(name, name)} {verdict['target']}"
            met = "yes" if verdict["met"] else "NO"
            lines.append(f"{left}  {rule:<22} {verdict['value']:>7.2f}  {met}")
        lines.extend(f"{'':<9} {note}" for note in _extra(r))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 40 s")
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    results = []
    started = time.perf_counter()
    for name, run in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = run(quick=args.quick)
        result["targets_met"] = {name: v["met"] for name, v in judge(result).items()}
        results.append(result)
    if args.quick:
        print("quick run: smaller sizes than the issue's; the targets are for the full run")
    print(_table(results), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "total_s": time.perf_counter() - started,
                "all_targets_met": all(all(r["targets_met"].values()) for r in results),
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
