"""Typed frames to Parquet and CSV and back: every dtype kept, the sidecar read back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from adstudio_nb import frames
from adstudio_nb.exceptions import AdStudioError
from adstudio_nb.export import read_csv, sidecar_path, to_csv, to_parquet

ROWS = [
    {
        "entity_type": "AD_SET",
        "entity_id": "7f4c1cc9-9a1d-4b65-b05c-46e5e33b6705",
        "entity_name": 'Spring, "quoted"\nand multi-line',
        "entity_status": "ACTIVE",
        "start_time": "2026-01-23T00:00:00Z",
        "end_time": "2026-01-24T00:00:00Z",
        "stats": [
            {"field_type": "CLICKS", "field_value": 100},
            {"field_type": "SPEND", "field_value": 1.25},
            {"field_type": "LEADS", "field_value": -5},
        ],
    },
    {
        "entity_type": "AD_SET",
        "entity_id": "0b5e4c1a-1111-4b65-b05c-46e5e33b6705",
        "entity_name": "Ünïcode, comma",
        "entity_status": "PAUSED",
        "start_time": "2026-01-24T00:00:00Z",
        "end_time": "2026-01-25T00:00:00Z",
        "stats": [{"field_type": "CLICKS", "field_value": None}],
    },
]


@pytest.fixture
def report() -> pd.DataFrame:
    return frames.report_frame([{"rows": ROWS}], fields=["CLICKS", "SPEND", "LEADS"])


def test_b5_b7_parquet_round_trip_keeps_every_dtype(report: pd.DataFrame, tmp_path: Path) -> None:
    path = to_parquet(report, tmp_path / "deep" / "r.parquet")
    assert path.exists()
    pd.testing.assert_frame_equal(pd.read_parquet(path), report)


def test_b5_b7_csv_round_trip_keeps_dtypes_nas_and_categories(
    report: pd.DataFrame, tmp_path: Path
) -> None:
    """B7: the suppressed -5 stays NA with its flag; times stay UTC; statuses categorical."""
    path = to_csv(report, tmp_path / "r.csv")
    back = read_csv(path)
    pd.testing.assert_frame_equal(back, report)
    schema = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert schema["start_time"] == {"dtype": "datetime", "tz": "UTC"}
    assert schema["entity_status"]["dtype"] == "category"
    assert "+0000" in path.read_text(encoding="utf-8")


def test_empty_frames_round_trip_with_their_columns(tmp_path: Path) -> None:
    empty = frames.ad_sets_frame([])
    pd.testing.assert_frame_equal(read_csv(to_csv(empty, tmp_path / "e.csv")), empty)


def test_a_csv_without_its_sidecar_is_a_typed_error(tmp_path: Path) -> None:
    """A CSV that to_csv did not write gets a sentence saying what to use instead."""
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(AdStudioError, match=r"other\.csv\.dtypes\.json.*pandas\.read_csv"):
        read_csv(path)
    with pytest.raises(AdStudioError, match="no file"):
        read_csv(tmp_path / "missing.csv")
