"""Typed frames to files and back: Parquet, and CSV with a dtype sidecar.

This module owns writing the frames of :mod:`adstudio_nb.frames` so that they read back with
the same dtypes: :func:`to_parquet` (pyarrow keeps every dtype, categories and UTC times),
:func:`to_csv` (ISO 8601 times with ``+00:00`` plus a ``<name>.dtypes.json`` sidecar) and
:func:`read_csv` (reads the sidecar back).

It never does HTTP and never changes a frame's values.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64")})
    >>> path = to_csv(frame, tmp / "n.csv")  # doctest: +SKIP
    >>> read_csv(path).dtypes["n"]  # doctest: +SKIP
    Int64Dtype()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import InvalidArgument

__all__ = ["read_csv", "sidecar_path", "to_csv", "to_parquet"]


def to_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to Parquet (pyarrow); every dtype, categories and UTC times included.

    Returns:
        The path written (its folder is made if missing).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(target, engine="pyarrow", index=False)
    return target


def sidecar_path(path: str | Path) -> Path:
    """Return where :func:`to_csv` writes the dtypes of ``path``: ``<name>.dtypes.json``."""
    source = Path(path)
    return source.with_name(source.name + ".dtypes.json")


def to_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to CSV plus a ``<name>.dtypes.json`` sidecar that :func:`read_csv` uses.

    Times are written in ISO 8601 with ``+00:00``; categoricals keep their categories in the
    sidecar. Without the sidecar, read the file with ``pd.read_csv(path, dtype=...)`` and
    ``parse_dates=[...]`` as listed in it.

    Returns:
        The CSV's path (its folder is made if missing).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    schema: dict[str, Any] = {}
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            schema[str(name)] = {"dtype": "category", "categories": list(dtype.categories)}
        elif isinstance(dtype, pd.DatetimeTZDtype):
            schema[str(name)] = {"dtype": "datetime", "tz": str(dtype.tz)}
        else:
            schema[str(name)] = {"dtype": str(dtype)}
    sidecar_path(target).write_text(json.dumps(schema, indent=1), encoding="utf-8")
    return target


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`to_csv` back with the same dtypes (from its sidecar).

    Raises:
        InvalidArgument: the file or its ``<name>.dtypes.json`` sidecar is missing.
    """
    source = Path(path)
    sidecar = sidecar_path(source)
    if not source.is_file():
        raise InvalidArgument(f"There is no file {source}: check the path.")
    if not sidecar.is_file():
        raise InvalidArgument(
            f"{source} has no dtype sidecar {sidecar.name} beside it, so its dtypes are "
            "unknown: read_csv reads files written by to_csv; read other CSVs with "
            "pandas.read_csv."
        )
    schema: dict[str, dict[str, Any]] = json.loads(sidecar.read_text(encoding="utf-8"))
    plain = {
        name: spec["dtype"]
        for name, spec in schema.items()
        if spec["dtype"] not in ("category", "datetime")
    }
    frame = pd.read_csv(source, dtype={**plain, **{n: "string" for n in schema if n not in plain}})
    for name, spec in schema.items():
        if spec["dtype"] == "category":
            frame[name] = frame[name].astype(pd.CategoricalDtype(spec["categories"]))
        elif spec["dtype"] == "datetime":
            parsed = pd.to_datetime(frame[name], utc=True, format="ISO8601")
            frame[name] = parsed.astype(pd.DatetimeTZDtype("ns", spec["tz"]))
    return frame
