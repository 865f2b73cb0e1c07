"""Scenario 3: 1,000,000 report rows x 10 metrics from JSON pages to the frame (B5, B7).

The floor is parsing the pages alone with the fastest parser at hand (orjson, which the
toolkit uses too); the standard library's parse time is reported beside it. The floor and the
toolkit run five times each, taking turns, and their medians are compared. The naive path
(the guide's ``json`` + ``json_normalize`` + explode + pivot) runs on every row when the
machine has the memory for it (about 6 GB at a million rows), else on the largest slice that
fits, scaled linearly, and the result says which.
"""

from __future__ import annotations

import gc
import json
import os
import random
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pandas as pd

from adstudio_nb.frames import report_frame

from .common import interleaved, timed
from .report import FIELDS

RUNS = 5  # of the floor and of the toolkit each, taking turns
_RATES = {"SPEND", "CTR", "FREQUENCY"}
_CONVERSIONS = {"LEADS", "PURCHASES"}


def make_pages(rows: int, *, entities: int = 500, per_page: int = 50, seed: int = 0) -> list[bytes]:
    """Pages shaped like the sandbox's (B5): entity-major, one row per entity and day."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(entities)]
    statuses = ["ACTIVE", "PAUSED", "ARCHIVED", "COMPLETED"]
    days = max(1, rows // entities)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    stamps = [(t0 + timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ") for d in range(days + 1)]
    pool = []
    for _ in range(997):
        impressions = rng.randint(0, 200_000)
        stats = []
        for f in FIELDS:
            if f in _RATES:
                value: Any = round(rng.random() * 50, 6)
            elif f in _CONVERSIONS:
                value = -5 if rng.random() < 0.2 else rng.randint(0, 50)
            else:
                value = rng.randint(0, impressions)
            stats.append(f'{{"field_type":"{f}","field_value":{json.dumps(value)}}}')
        pool.append(",".join(stats))
    head = (
        '{"report_start":"2025-01-01T00:00:00Z","report_end":"2030-01-01T00:00:00Z",'
        '"granularity":"DAY","warnings":[],"rows":['
    )
    pages, chunk, n = [], [], 0
    for e in range(entities):
        prefix = (
            f'{{"entity_type":"AD_SET","entity_id":"{ids[e]}","entity_name":"Ad set {e}",'
            f'"entity_status":"{statuses[e % 4]}","start_time":"'
        )
        for d in range(days):
            stats = pool[(e * 7919 + d) % 997]
            chunk.append(f'{prefix}{stamps[d]}","end_time":"{stamps[d + 1]}","stats":[{stats}]}}')
            n += 1
            if len(chunk) == per_page:
                token = ',"continuation_token":"%s"' % ("A" * 120) if n < rows else ""
                pages.append((head + ",".join(chunk) + "]" + token + "}").encode())
                chunk = []
            if n >= rows:
                break
        if n >= rows:
            break
    if chunk:
        pages.append((head + ",".join(chunk) + "]}").encode())
    return pages


def parse_only(pages: list[bytes]) -> int:
    """The floor: parse every page with orjson and count the rows, nothing else."""
    return sum(len(orjson.loads(p)["rows"]) for p in pages)


def parse_only_stdlib(pages: list[bytes]) -> int:
    """Parsing with the standard library, for reference (the guide's ``.json()``)."""
    return sum(len(json.loads(p)["rows"]) for p in pages)


def naive(pages: list[bytes]) -> pd.DataFrame:
    """json_normalize + explode + pivot, as a first notebook would."""
    rows = [r for p in pages for r in json.loads(p)["rows"]]
    flat = pd.json_normalize(rows).explode("stats", ignore_index=True)
    stats = pd.json_normalize(flat["stats"].tolist())
    long = pd.concat([flat.drop(columns="stats"), stats], axis=1)
    return long.pivot_table(
        index=["entity_id", "entity_name", "entity_status", "start_time", "end_time"],
        columns="field_type",
        values="field_value",
        aggfunc="first",
    ).reset_index()


def toolkit(pages: list[bytes]) -> pd.DataFrame:
    return report_frame(pages, FIELDS)


def peak_mb(fn: Any, pages: list[bytes]) -> tuple[float, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        result = fn(pages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6, result


def _available_mb() -> float:
    """Return the memory the kernel says is available (MemAvailable), in MB."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1e3
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(quick: bool = False) -> dict[str, Any]:
    rows = 100_000 if quick else 1_000_000
    gen_s, pages = timed(lambda: make_pages(rows))

    def floor_run() -> int:
        parsed = parse_only(pages)
        assert parsed == rows
        return parsed

    def toolkit_run() -> int:
        frame = toolkit(pages)
        assert len(frame) == rows
        return len(frame)

    # The floor and the toolkit take turns, the same number of runs each (see interleaved).
    timings = interleaved(RUNS, {"floor": floor_run, "toolkit": toolkit_run})
    floor_s, floor_runs = timings["floor"]
    toolkit_s, toolkit_runs = timings["toolkit"]
    stdlib_parse_s, parsed = timed(lambda: parse_only_stdlib(pages))
    assert parsed == rows
    gc.collect()
    toolkit_peak_mb, frame = peak_mb(toolkit, pages)
    frame_mb = frame.memory_usage(deep=True).sum() / 1e6
    del frame
    gc.collect()
    sample_rows = min(rows, 100_000)
    naive_peak_mb, naive_frame = peak_mb(naive, pages[: max(1, sample_rows // 50)])
    del naive_frame
    gc.collect()
    # The naive path holds every row as dicts, then the long frame: about 6 GB at a million
    # rows. Run it on every row when that fits in half of the available memory (tracemalloc
    # sees Python's allocations only, hence the margin); else on the largest slice that
    # does, scaled linearly, which flatters it if anything.
    naive_mb_per_row = naive_peak_mb / sample_rows
    fits = int(_available_mb() * 0.5 / naive_mb_per_row)
    naive_rows = max(sample_rows, min(rows, fits // 50 * 50))
    start = time.perf_counter()
    naive_frame = naive(pages[: max(1, naive_rows // 50)])
    naive_measured_s = time.perf_counter() - start
    assert len(naive_frame) == naive_rows
    del naive_frame
    gc.collect()
    naive_s = naive_measured_s * rows / naive_rows
    return {
        "scenario": "shaping",
        "size": f"{rows:,} rows x {len(FIELDS)} metrics, {len(pages):,} JSON pages",
        "naive_s": naive_s,
        "naive_measured_rows": naive_rows,
        "naive_extrapolated": naive_rows < rows,
        "toolkit_s": toolkit_s,
        "toolkit_runs_s": toolkit_runs,
        "floor_s": floor_s,
        "floor": "orjson.loads of every page",
        "floor_runs_s": floor_runs,
        "stdlib_parse_s": stdlib_parse_s,
        "speedup_vs_naive": naive_s / toolkit_s,
        "toolkit_over_floor": toolkit_s / floor_s,
        "toolkit_over_stdlib_parse": toolkit_s / stdlib_parse_s,
        "frame_mb": frame_mb,
        "toolkit_peak_mb": toolkit_peak_mb,
        "peak_over_frame": toolkit_peak_mb / frame_mb,
        "naive_peak_mb_per_100k_rows": naive_peak_mb * 100_000 / sample_rows,
        "generate_s": gen_s,
        "targets": {
            "speedup_vs_naive": ">= 10",
            "toolkit_over_floor": "<= 2.5",
            "peak_over_frame": "<= 3",
        },
    }
