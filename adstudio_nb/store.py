"""The local store: what ``Ads`` fetched, kept typed in one DuckDB file, so re-runs cost little.

This module owns the store (:class:`Store`): one DuckDB database per profile in the user's
data directory (:func:`default_store_path`), or a file the user names. It keeps

- report rows (``reports``): one row per account, level, granularity, entity and time
  bucket, typed as :func:`~adstudio_nb.frames.report_frame` types them (counts ``BIGINT``,
  ratios and money ``DOUBLE``, the privacy sentinel as NULL with a ``<metric>_suppressed``
  flag, B7), one column per metric ever fetched;
- what each report fetch covered (``report_coverage``): per bucket, metric and scope (every
  entity of the level, or one entity id) and when it was fetched, so that a report is answered
  from the store for the buckets it holds and fetches only the missing ones plus those still
  inside the restatement window: Spotify's numbers settle over a few days, so a bucket fetched
  before ``restatement_days`` had passed since it began is fetched again (B5);
- listings (``businesses``, ``ad_accounts``, ``campaigns``, ``ad_sets``, ``ads``, ...) with
  their frame's columns, replaced whole per account when older than ``listing_max_age_s``;
- the schema's version (``meta``): a newer one is refused, an older one rebuilt.

Writes are short transactions under a file lock (DuckDB lets one process write at a time):
every fetched part of a report is written with its coverage in one transaction, so a kernel
killed mid-sync leaves whole parts or nothing, and the next sync fetches what is missing.
Connections are opened per operation and closed at once, so two kernels can use one store;
a connection refused because another process holds the file is retried within a bounded wait
(:class:`~adstudio_nb.exceptions.StoreBusy` after it).

It fetches through ``endpoints`` and shapes through ``frames``; it never speaks HTTP itself
and never prints.

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from adstudio_nb.ads import Ads
    >>> from tests.helpers import access_token  # doctest: +SKIP
    >>> with Sandbox(rate_limits="off") as sb:  # doctest: +SKIP
    ...     ads = Ads.from_token(sb.api_base_url, access_token(sb), store="ads.duckdb")
    ...     account = ads.ad_accounts().iloc[0]
    ...     ads.report(account, start="2026-01-01", end="2026-03-31")  # fetched and kept
    ...     ads.report(account, start="2026-01-01", end="2026-03-31")  # from the store
    ...     ads.sql("SELECT entity_name, sum(spend) FROM reports GROUP BY ALL")
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import endpoints, frames
from .exceptions import InvalidArgument, StoreBusy, StoreError
from .paging import (
    ReportPart,
    parse_utc,
    plan_report_parts,
)

if TYPE_CHECKING:
    import duckdb

    from .client import AdsClient

__all__ = [
    "DEFAULT_LISTING_MAX_AGE_S",
    "DEFAULT_LOCK_TIMEOUT_S",
    "DEFAULT_RESTATEMENT_DAYS",
    "SCHEMA_VERSION",
    "ReportSync",
    "Store",
    "default_store_path",
    "open_store",
]

log = logging.getLogger(__name__)

RangeFetcher = Callable[[datetime, datetime, "list[str] | None"], "pd.DataFrame | None"]
"""Fetches a run of buckets (first and last bucket start, entity ids) as a report frame."""

SCHEMA_VERSION = 1
"""The version of the store's tables; a store written by a newer version is refused."""
DEFAULT_RESTATEMENT_DAYS = 3
"""Days after which a bucket's numbers are taken as settled (fetched again until then)."""
DEFAULT_LISTING_MAX_AGE_S = 3600.0
"""Seconds for which a stored listing answers instead of the API."""
DEFAULT_LOCK_TIMEOUT_S = 60.0
"""Seconds to wait for another process's write (or open file) before giving up."""

EVERY_ENTITY = "*"  # the coverage scope of a report fetched without entity ids
PARENT_FIELD = "PARENT"  # coverage of the parent columns (include_parent_entity)
_STEPS = {"DAY": timedelta(days=1), "HOUR": timedelta(hours=1)}
_FIELD = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_PROFILE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_RESERVED = frozenset({"meta", "reports", "report_coverage", "listing_fetches"})
_REPORT_KEYS = ("account_id", "level", "granularity", "entity_id", "start_time", "end_time")
_ROW_COLUMNS = (
    "account_id",
    "level",
    "granularity",
    "entity_id",
    "entity_name",
    "entity_status",
    "start_time",
    "end_time",
)
_PARENT_COLUMNS = ("parent_id", "parent_name", "parent_status")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS reports (
        account_id VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        granularity VARCHAR NOT NULL,
        entity_id VARCHAR NOT NULL,
        entity_name VARCHAR,
        entity_status VARCHAR,
        parent_id VARCHAR,
        parent_name VARCHAR,
        parent_status VARCHAR,
        start_time TIMESTAMPTZ,
        end_time TIMESTAMPTZ,
        fetched_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS report_coverage (
        account_id VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        granularity VARCHAR NOT NULL,
        scope VARCHAR NOT NULL,
        bucket_start TIMESTAMPTZ NOT NULL,
        field VARCHAR NOT NULL,
        fetched_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS listing_fetches (
        kind VARCHAR NOT NULL,
        scope VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        fetched_at TIMESTAMPTZ NOT NULL
    )""",
)
# Migrations from a version to the next; a version without one is rebuilt (the store is a
# copy of what Spotify holds: rebuilding costs a fetch, never data).
_MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {}


def default_store_path(profile: str = "default", *, namespace: str = "") -> Path:
    """Return where the store of ``profile`` lives: a DuckDB file in the user's data directory.

    ``namespace`` keeps apart the stores of data that is not Spotify's (the sandbox's, a
    custom host's): ``stores/<namespace>/<profile>.duckdb`` instead of
    ``stores/<profile>.duckdb``, so that no profile name can reach another's store.

    Raises:
        InvalidArgument: a profile name (or namespace) that cannot name a file.
    """
    if not isinstance(profile, str) or not _PROFILE.match(profile):
        raise InvalidArgument(
            f"The profile name {profile!r} must be 1-64 letters, digits, '.', '_' or '-'."
        )
    if not isinstance(namespace, str) or (namespace and not _PROFILE.match(namespace)):
        raise InvalidArgument(
            f"The store namespace {namespace!r} must be 1-64 letters, digits, '.', '_' or '-'."
        )
    import platformdirs  # light, but only needed here

    base = Path(platformdirs.user_data_dir("adstudio_nb", appauthor=False))
    stores = base / "stores"
    return (stores / namespace if namespace else stores) / f"{profile}.duckdb"


def open_store(store: Store | str | Path | bool | None, **options: Any) -> Store | None:
    """Return the store ``Ads(store=...)`` means: a Store, a file path, True (the default), None.

    Raises:
        InvalidArgument: anything else.
        StoreError: the file cannot be used as a store.
    """
    if store is None or store is False:
        return None
    if isinstance(store, Store):
        return store
    if store is True:
        return Store(default_store_path(), **options)
    if isinstance(store, (str, Path)):
        return Store(store, **options)
    raise InvalidArgument(
        f"store must be a Store, a path to a DuckDB file, True (the default store) or None, "
        f"not {type(store).__name__}."
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _quote(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise InvalidArgument(f"{name!r} cannot name a column of the store.")
    return f'"{name}"'


def _check_fields(fields: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(fields))
    bad = [f for f in wanted if not isinstance(f, str) or not _FIELD.match(f)]
    if bad or not wanted:
        raise InvalidArgument(
            f"Report fields are ReportFieldType names such as IMPRESSIONS or SPEND, not "
            f"{', '.join(map(repr, bad)) or 'none'}."
        )
    return wanted


def _duck_type(dtype: Any) -> str:
    """The DuckDB type that keeps a frame column's pandas dtype."""
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "TIMESTAMPTZ"
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE"
    return "VARCHAR"  # strings and categoricals (kept as their values)


def _metric_type(field: str) -> str:
    return "BIGINT" if field in frames.COUNT_METRICS else "DOUBLE"


def _for_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as DuckDB scans it best: categoricals as text, times in UTC."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(frames.STRING)
        out[name] = column
    return pd.DataFrame(out, index=frame.index, copy=False)


def _typed(table: Any, dtypes: Mapping[str, Any]) -> pd.DataFrame:
    """Turn a pyarrow table of the store's columns into a frame with ``dtypes`` (no row loop).

    Strings stay in Arrow memory (pandas' Arrow-backed strings), numbers become pandas'
    nullable arrays, categoricals are dictionary-encoded by Arrow and recoded onto the
    frame's categories (values the spec does not list are kept as extra categories).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    mapping = {
        pa.int64(): pd.Int64Dtype(),
        pa.int32(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): frames.STRING,
        pa.large_string(): frames.STRING,
    }
    columns: dict[str, Any] = {}
    for name, dtype in dtypes.items():
        chunked = table.column(name)
        if isinstance(dtype, pd.CategoricalDtype):
            encoded = pc.dictionary_encode(chunked).combine_chunks()
            found = pd.Categorical.from_codes(
                encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False),
                categories=pd.Index(encoded.dictionary.to_pylist(), dtype=object),
                validate=False,
            )
            extra = [c for c in found.categories if c not in set(dtype.categories)]
            target = pd.CategoricalDtype([*dtype.categories, *extra]) if extra else dtype
            columns[name] = pd.Categorical(found, dtype=target)
        elif isinstance(dtype, pd.DatetimeTZDtype):
            series = chunked.to_pandas()
            columns[name] = pd.Series(series).astype(dtype).array
        else:
            series = chunked.to_pandas(types_mapper=mapping.get)
            columns[name] = series.astype(dtype).array if series.dtype != dtype else series.array
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), copy=False)


@dataclass(frozen=True)
class _Request:
    """A report request the store can answer: its scope, buckets and fields."""

    account_id: str
    level: str
    granularity: str
    fields: tuple[str, ...]
    first: datetime
    last: datetime
    entity_ids: tuple[str, ...] | None
    include_parent: bool

    @property
    def step(self) -> timedelta:
        return _STEPS[self.granularity]

    def buckets(self) -> list[datetime]:
        count = int((self.last - self.first) / self.step) + 1
        return [self.first + n * self.step for n in range(count)]

    @property
    def covered_fields(self) -> list[str]:
        return [*self.fields, *([PARENT_FIELD] if self.include_parent else [])]


@dataclass
class ReportSync:
    """What one account's stored report lacks: the runs of buckets, then the parts to fetch.

    Attributes:
        request: the report, as the store answers it (:meth:`Store.read_report`).
        runs: the runs of missing (or unsettled) buckets, first and last bucket start.
        entity_ids: the entity ids to fetch them for (None: every entity of the level).
        fetched_at: the time its fetches are recorded at.
        parts: the report parts planned for the runs (:meth:`Store.plan_parts`).
    """

    request: _Request
    runs: list[tuple[datetime, datetime]]
    entity_ids: list[str] | None
    fetched_at: datetime
    parts: list[ReportPart] = dataclass_field(default_factory=list)


class Store:
    """A local DuckDB copy of what ``Ads`` fetched: reports by bucket, listings by account.

    Args:
        path: the DuckDB file (created with its directories if missing).
        restatement_days: a bucket is fetched again until it was fetched this many days after
            it began (and after it ended): Spotify's numbers settle over a few days (B5).
        listing_max_age_s: a stored listing answers for this many seconds after its fetch.
        lock_timeout_s: how long to wait for another process that holds the store.
        clock: the current time as an aware UTC datetime (injectable for tests).

    Raises:
        StoreError: the file is not a store (another DuckDB database, not a database at
            all, a directory) or was written by a newer version of adstudio_nb.
        InvalidArgument: a negative window or age.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        restatement_days: int = DEFAULT_RESTATEMENT_DAYS,
        listing_max_age_s: float = DEFAULT_LISTING_MAX_AGE_S,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if isinstance(restatement_days, bool) or not isinstance(restatement_days, int):
            raise InvalidArgument("restatement_days is a whole number of days, such as 3.")
        if restatement_days < 0 or listing_max_age_s < 0 or lock_timeout_s <= 0:
            raise InvalidArgument(
                "restatement_days and listing_max_age_s cannot be negative, and "
                "lock_timeout_s must be positive."
            )
        self.path = Path(path).expanduser().resolve()
        self.restatement_days = restatement_days
        self.listing_max_age_s = float(listing_max_age_s)
        self.lock_timeout_s = float(lock_timeout_s)
        self._clock = clock or _utc_now
        if self.path.is_dir():
            raise StoreError(
                f"{self.path} is a directory: give the store a file name such as "
                f"{self.path / 'ads.duckdb'}."
            )
        try:
            # A directory made here is the user's alone: the store holds their accounts' data.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"The store's directory {self.path.parent} cannot be created ({exc.strerror}): "
                "give the store a path you can write to."
            ) from exc
        from filelock import FileLock

        # Per thread (filelock's default): two threads of one kernel exclude each other too.
        self._file_lock = FileLock(str(self.path) + ".lock", timeout=self.lock_timeout_s)
        self._prepare()

    # -- connections ------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the store's current time (aware UTC)."""
        value = self._clock()
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        import duckdb

        pause = 0.01
        while True:
            try:
                con = duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise StoreError(
                        f"{self.path} cannot be opened as a store ({text.splitlines()[0]}): "
                        "give the store another path."
                    ) from exc
                if time.monotonic() + pause > deadline:
                    raise StoreBusy(
                        f"Another process has held the store {self.path} for more than "
                        f"{self.lock_timeout_s:g} s: try again, or give this kernel a store "
                        "of its own (Ads(store=path))."
                    ) from exc
                time.sleep(pause)  # bounded: the deadline above
                pause = min(pause * 2, 0.25)
                continue
            except duckdb.Error as exc:
                raise StoreError(
                    f"{self.path} cannot be opened as a store ({str(exc).splitlines()[0]}): "
                    "give the store another path."
                ) from exc
            con.execute("SET TimeZone = 'UTC'")
            return con

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one short operation; with ``write``, one transaction under the lock.

        Readers take no lock: DuckDB's own file lock refuses them while another process
        writes, and they retry until ``lock_timeout_s``.
        """
        from filelock import Timeout

        deadline = time.monotonic() + self.lock_timeout_s
        guard = self._file_lock if write else nullcontext()
        try:
            with guard:
                con = self._open(deadline)
                try:
                    if write:
                        con.begin()
                    yield con
                    if write:
                        con.commit()
                except BaseException:
                    if write:
                        with _quietly():
                            con.rollback()
                    raise
                finally:
                    con.close()
        except Timeout as exc:
            raise StoreBusy(
                f"Another process has been writing to the store {self.path} for more than "
                f"{self.lock_timeout_s:g} s: try again, or give this kernel a store of its "
                "own (Ads(store=path))."
            ) from exc

    def _prepare(self) -> None:
        """Create the tables, or check the schema's version: refuse newer, rebuild older."""
        import duckdb

        try:
            with self._connect(write=True) as con:
                tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
                version = self._version(con) if "meta" in tables else None
                if version is None and tables:
                    raise StoreError(
                        f"{self.path} is a DuckDB database that adstudio_nb did not create: "
                        "give the store another path."
                    )
                if version is not None and version > SCHEMA_VERSION:
                    raise StoreError(
                        f"The store {self.path} was written by a newer adstudio_nb (schema "
                        f"{version}, this one reads {SCHEMA_VERSION}): upgrade adstudio_nb, "
                        "or give this kernel another store."
                    )
                while version is not None and version < SCHEMA_VERSION:
                    migrate = _MIGRATIONS.get(version)
                    if migrate is None:
                        log.warning(
                            "The store %s has schema %s; rebuilding it as schema %s (its data "
                            "will be fetched again).",
                            self.path,
                            version,
                            SCHEMA_VERSION,
                        )
                        for table in tables:
                            con.execute(f'DROP TABLE IF EXISTS "{table}"')
                        break
                    migrate(con)
                    version += 1
                for statement in _SCHEMA:
                    con.execute(statement)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)],
                )
        except duckdb.Error as exc:
            raise StoreError(
                f"{self.path} cannot be used as a store ({str(exc).splitlines()[0]}): give "
                "the store another path."
            ) from exc

    @staticmethod
    def _version(con: duckdb.DuckDBPyConnection) -> int:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            return int(row[0]) if row else 0
        except ValueError:
            return 0

    # -- what it holds ----------------------------------------------------------------------

    def describe(self) -> pd.DataFrame:
        """Return what the store holds, one row per report and per stored listing.

        A report is an account, level and granularity: its first and last day, rows,
        entities and last fetch; a listing its rows and last fetch.
        """
        with self._connect(write=False) as con:
            reports = con.execute(
                """SELECT 'report' AS kind, account_id, level, granularity,
                          min(start_time)::DATE AS first_day, max(start_time)::DATE AS last_day,
                          count(*) AS rows, count(DISTINCT entity_id) AS entities,
                          max(fetched_at) AS last_fetched
                   FROM reports GROUP BY ALL ORDER BY account_id, level, granularity"""
            ).fetchdf()
            listings = con.execute(
                """SELECT kind, scope AS account_id, NULL::VARCHAR AS level,
                          NULL::VARCHAR AS granularity, NULL::DATE AS first_day,
                          NULL::DATE AS last_day, rows, NULL::BIGINT AS entities,
                          fetched_at AS last_fetched
                   FROM listing_fetches ORDER BY kind, scope"""
            ).fetchdf()
        parts = [f for f in (reports, listings) if len(f)]
        if not parts:
            return reports.iloc[:0]
        return pd.concat(parts, ignore_index=True)

    def __repr__(self) -> str:
        try:
            held = self.describe()
        except StoreError:
            return f"<Store {self.path} (busy)>"
        reports = held[held["kind"] == "report"]
        if held.empty:
            return f"<Store {self.path}: empty>"
        lines = [f"<Store {self.path}:"]
        for row in reports.itertuples():
            lines.append(
                f"  {row.level} {row.granularity} report of {row.account_id}: "
                f"{row.first_day}..{row.last_day}, {row.rows:,} rows, {row.entities:,} entities"
            )
        for row in held[held["kind"] != "report"].itertuples():
            scope = "" if row.account_id == EVERY_ENTITY else f" of {row.account_id}"
            lines.append(f"  {row.kind}{scope}: {row.rows:,} rows")
        return "\n".join(lines) + ">"

    def sql(self, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """Run SQL over the store and return a DataFrame; nothing it changes is kept.

        The tables: ``reports`` (one row per account, level, granularity, entity and time
        bucket, one column per metric), ``report_coverage``, ``listing_fetches`` and one
        table per listing (``campaigns``, ``ad_sets``, ``ads``, ``ad_accounts``,
        ``businesses``). Times are UTC.

        Raises:
            StoreError: DuckDB could not run the query (its reason is in the message).
        """
        import duckdb

        if not isinstance(query, str) or not query.strip():
            raise InvalidArgument("Pass the SQL as text, such as 'SELECT * FROM reports'.")
        with self._connect(write=False) as con:
            con.begin()
            try:
                return con.execute(query, params).fetchdf()
            except duckdb.Error as exc:
                raise StoreError(
                    f"The store could not run this query: {str(exc).splitlines()[0]} "
                    "(see ads.store.describe() for what it holds)."
                ) from exc
            finally:
                with _quietly():
                    con.rollback()

    def export_parquet(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the store as Parquet: ``reports/`` partitioned by account, level and date.

        The report rows go to ``path/reports/account_id=.../level=.../date=.../*.parquet``
        (hive partitioning, which Spark, BigQuery external tables and DuckDB read as they
        are: ``read_parquet('path/reports/**/*.parquet', hive_partitioning = true)``); each
        listing goes to ``path/<listing>.parquet``.

        Raises:
            StoreError: ``path`` holds files already (pass ``overwrite=True``) or cannot be
                written.
        """
        target = Path(path).expanduser().resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())) and not overwrite:
            raise StoreError(
                f"{target} is not an empty directory: pick a new one, or pass "
                "overwrite=True to replace what is there."
            )
        target.mkdir(parents=True, exist_ok=True)
        reports = target / "reports"
        with self._connect(write=False) as con:
            listings = [
                row[0]
                for row in con.execute("SELECT DISTINCT kind FROM listing_fetches").fetchall()
            ]
            con.execute(
                f"""COPY (SELECT *, coalesce(start_time::DATE, DATE '1970-01-01') AS date
                         FROM reports ORDER BY account_id, level, start_time, entity_id)
                    TO {_literal(reports)} (FORMAT PARQUET,
                        PARTITION_BY (account_id, level, date), OVERWRITE_OR_IGNORE true)"""  # noqa: S608 (names checked by _quote)
            )
            for kind in listings:
                con.execute(
                    f"COPY (SELECT * FROM {_quote(kind)} ORDER BY listing_scope, "  # noqa: S608
                    f"listing_position) TO {_literal(target / (kind + '.parquet'))} "
                    "(FORMAT PARQUET)"
                )
        return target

    # -- listings ---------------------------------------------------------------------------

    def listing(
        self,
        kind: str,
        scope: str,
        fetch: Callable[[], pd.DataFrame],
        template: pd.DataFrame,
        *,
        fresh: bool = False,
    ) -> pd.DataFrame:
        """Return a listing from the store if fetched within ``listing_max_age_s``, else fetch.

        Args:
            kind: the listing (``campaigns``), which names its table.
            scope: whose listing it is (the ad account id; ``*`` for all).
            fetch: fetches the listing as a typed frame.
            template: an empty frame of the listing (its columns and dtypes).
            fresh: fetch whatever the store holds.
        """
        table = _listing_table(kind)
        if not fresh:
            kept = self.stored_listing(table, scope, template)
            if kept is not None:
                return kept
        frame = fetch()
        self.keep_listing(kind, scope, frame)
        return frame

    def stored_listing(self, kind: str, scope: str, template: pd.DataFrame) -> pd.DataFrame | None:
        """Return the stored listing ``kind`` of ``scope`` if younger than the maximum age.

        ``template`` is an empty frame of the listing: the columns and dtypes to give back.
        None when the store has none, an older one, or one without every column.
        """
        table = _listing_table(kind)
        oldest = self.now() - timedelta(seconds=self.listing_max_age_s)
        with self._connect(write=False) as con:
            fetched = con.execute(
                "SELECT fetched_at FROM listing_fetches WHERE kind = ? AND scope = ? "
                "AND fetched_at >= ?",
                [table, scope, oldest],
            ).fetchone()
            if fetched is None:
                return None
            present = _columns(con, table)
            if not set(template.columns) <= present:
                return None  # a column the stored rows lack: fetch again
            names = ", ".join(_quote(c) for c in template.columns)
            arrow = con.sql(
                f"SELECT {names} FROM {_quote(table)} WHERE listing_scope = $scope "  # noqa: S608
                "ORDER BY listing_position",
                params={"scope": scope},
            ).to_arrow_table()
        return _typed(arrow, dict(template.dtypes))

    def keep_listing(self, kind: str, scope: str, frame: pd.DataFrame) -> None:
        """Replace the stored listing ``kind`` of ``scope`` with ``frame``, in one transaction."""
        table = _listing_table(kind)
        incoming = _for_duckdb(frame).assign(
            listing_scope=scope,
            listing_position=range(len(frame)),
            fetched_at=self.now(),
        )
        with self._connect(write=True) as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {_quote(table)} (listing_scope VARCHAR NOT NULL, "
                "listing_position BIGINT NOT NULL, fetched_at TIMESTAMPTZ NOT NULL)"
            )
            present = _columns(con, table)
            for name in frame.columns:
                if name not in present:
                    con.execute(
                        f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(name)} "
                        f"{_duck_type(frame[name].dtype)}"
                    )
            con.execute(f"DELETE FROM {_quote(table)} WHERE listing_scope = ?", [scope])  # noqa: S608 (names checked by _quote)
            con.register("incoming_listing", incoming)
            con.execute(f"INSERT INTO {_quote(table)} BY NAME SELECT * FROM incoming_listing")  # noqa: S608 (names checked by _quote)
            con.unregister("incoming_listing")
            con.execute("DELETE FROM listing_fetches WHERE kind = ? AND scope = ?", [table, scope])
            con.execute(
                "INSERT INTO listing_fetches VALUES (?, ?, ?, ?)",
                [table, scope, len(frame), self.now()],
            )

    # -- reports ----------------------------------------------------------------------------

    def report(
        self,
        client: AdsClient,
        account_id: str,
        *,
        level: str,
        fields: Sequence[str],
        granularity: str,
        start: Any,
        end: Any,
        entity_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        include_parent: bool = False,
        fresh: bool = False,
        on_page: Callable[[int], None] | None = None,
        fetch_range: RangeFetcher | None = None,
    ) -> pd.DataFrame:
        """Return an aggregate report, fetching only what the store lacks or must refresh.

        DAY and HOUR reports over a range are answered from the store for the buckets it
        holds settled; the missing buckets, and those fetched before ``restatement_days``
        had passed since they began, are fetched (in parts Spotify accepts) and kept, each
        part with its coverage in one transaction. Rows come back ordered by entity id, then
        start time. ``fetch_range(first, last, entity_ids)`` may fetch a whole run of missing
        buckets another way (an async CSV report) and return its typed frame, or None to
        leave the run to the report pages. LIFETIME reports, reports without a range and
        reports filtered by status are fetched every time (their rows are kept all the same).
        ``fresh`` fetches every bucket again.

        Raises:
            IncompleteReport: a part could not be fetched to its end; the parts before it
                are kept, so asking again fetches only what is missing.
        """
        sync = (
            None
            if statuses
            else self.plan_report(
                account_id,
                level=level,
                fields=fields,
                granularity=granularity,
                start=start,
                end=end,
                entity_ids=entity_ids,
                include_parent=include_parent,
                fresh=fresh,
            )
        )
        if sync is None:
            return self._fetch_and_keep(
                client,
                account_id,
                level=level,
                fields=_check_fields(fields),
                granularity=granularity,
                start=start,
                end=end,
                entity_ids=entity_ids,
                statuses=statuses,
                include_parent=include_parent,
                on_page=on_page,
            )
        self.plan_parts(
            sync, fetch_range, target_parts=2 * client.max_workers, page_size=client.page_size
        )
        if sync.parts:
            fetched = endpoints.report_parts(client, account_id, sync.parts, on_page=on_page)
            for part, pages in zip(sync.parts, fetched, strict=True):
                self.keep_part(sync, part, pages)
        return self.read_report(sync.request)

    def plan_report(
        self,
        account_id: str,
        *,
        level: str,
        fields: Sequence[str],
        granularity: str,
        start: Any,
        end: Any,
        entity_ids: Sequence[str] | None = None,
        include_parent: bool = False,
        fresh: bool = False,
    ) -> ReportSync | None:
        """Return what the store lacks of a DAY or HOUR report over a range, or None.

        The first step of :meth:`report`, for a caller that fetches the parts of several
        accounts together: :meth:`plan_parts`, then each part's pages to :meth:`keep_part`,
        then :meth:`read_report` of the sync's ``request``. None: the store cannot answer
        this report (LIFETIME, no range), so it is to be fetched whole.
        """
        fields = _check_fields(fields)
        request = self._request(
            account_id, level, fields, granularity, start, end, entity_ids, include_parent
        )
        if request is None:
            return None
        runs, ids = self._missing(request, fresh=fresh)
        return ReportSync(request, runs, ids, self.now())

    def plan_parts(
        self,
        sync: ReportSync,
        fetch_range: RangeFetcher | None = None,
        *,
        target_parts: int,
        page_size: int,
    ) -> list[ReportPart]:
        """Plan the report parts of ``sync``'s missing runs into ``sync.parts``; return them.

        ``fetch_range(first, last, entity_ids)`` may fetch a whole run another way (an async
        CSV report): its frame is kept at once and the run needs no part.
        """
        request = sync.request
        for first, last in sync.runs:
            other = fetch_range(first, last, sync.entity_ids) if fetch_range is not None else None
            if other is not None:
                self.keep_report(
                    other,
                    account_id=request.account_id,
                    level=request.level,
                    granularity=request.granularity,
                    fields=request.fields,
                    start=first,
                    end=last,
                    entity_ids=sync.entity_ids,
                    include_parent=request.include_parent,
                    fetched_at=sync.fetched_at,
                )
                continue
            sync.parts += plan_report_parts(
                entity_type=request.level,
                fields=list(request.fields),
                granularity=request.granularity,
                start=first,
                end=last,
                entity_ids=sync.entity_ids,
                entity_ids_type=request.level if sync.entity_ids else None,
                include_parent_entity=request.include_parent,
                target_parts=target_parts,
                page_size=page_size,
            )
        return sync.parts

    def keep_part(self, sync: ReportSync, part: ReportPart, pages: Sequence[Any]) -> int:
        """Keep one fetched part of ``sync`` (its pages) with its coverage, in one transaction."""
        request = sync.request
        builder = frames.ReportFrameBuilder(request.fields, include_parent=request.include_parent)
        for page in pages:
            builder.add_page(page)
        return self.keep_report(
            builder.frame(),
            account_id=request.account_id,
            level=request.level,
            granularity=request.granularity,
            fields=request.fields,
            start=part.start,
            end=part.end,
            entity_ids=part.entity_ids,
            include_parent=request.include_parent,
            fetched_at=sync.fetched_at,
        )

    def _request(
        self,
        account_id: str,
        level: str,
        fields: Sequence[str],
        granularity: str,
        start: Any,
        end: Any,
        entity_ids: Sequence[str] | None,
        include_parent: bool,
    ) -> _Request | None:
        if granularity not in _STEPS or start is None or end is None:
            return None
        # The planner checks the range as it would for the API (end before start, bad text).
        plan_report_parts(
            entity_type=level, fields=fields, granularity=granularity, start=start, end=end
        )
        first, last = parse_utc(start), parse_utc(end)
        assert first is not None and last is not None
        first, last = _bucket(first, granularity), _bucket(last, granularity)
        ids = tuple(dict.fromkeys(entity_ids)) if entity_ids else None
        return _Request(
            account_id, level, granularity, tuple(fields), first, last, ids, include_parent
        )

    def _missing(
        self, request: _Request, *, fresh: bool
    ) -> tuple[list[tuple[datetime, datetime]], list[str] | None]:
        """Return the runs of buckets to fetch and the entity ids to fetch them for."""
        buckets = request.buckets()
        ids = list(request.entity_ids) if request.entity_ids else None
        if fresh:
            return _runs(buckets, request.step), ids
        wanted = request.covered_fields
        scopes = [EVERY_ENTITY, *(ids or [])]
        with self._connect(write=False) as con:
            settled = con.execute(
                """SELECT scope, epoch_us(bucket_start) FROM report_coverage
                   WHERE account_id = $account AND level = $level AND granularity = $granularity
                     AND bucket_start BETWEEN $first AND $last
                     AND list_contains($fields, field) AND list_contains($scopes, scope)
                     AND fetched_at >= greatest(bucket_start + $step, bucket_start + $settle)
                   GROUP BY ALL HAVING count(DISTINCT field) = $count""",
                {
                    "account": request.account_id,
                    "level": request.level,
                    "granularity": request.granularity,
                    "first": request.first,
                    "last": request.last,
                    "fields": wanted,
                    "scopes": scopes,
                    "step": request.step,
                    "settle": timedelta(days=self.restatement_days),
                    "count": len(wanted),
                },
            ).fetchall()
        every = {us for scope, us in settled if scope == EVERY_ENTITY}
        if ids is None:
            missing = [b for b in buckets if _us(b) not in every]
            return _runs(missing, request.step), None
        per_entity = {(scope, us) for scope, us in settled if scope != EVERY_ENTITY}
        lacking: set[str] = set()
        missing = []
        for b in buckets:
            us = _us(b)
            if us in every:
                continue
            short = [e for e in ids if (e, us) not in per_entity]
            if short:
                missing.append(b)
                lacking.update(short)
        runs = _runs(missing, request.step)
        return runs, [e for e in ids if e in lacking]

    def keep_report(
        self,
        frame: pd.DataFrame,
        *,
        account_id: str,
        level: str,
        granularity: str,
        fields: Sequence[str],
        start: str | date | datetime | None = None,
        end: str | date | datetime | None = None,
        entity_ids: Sequence[str] | None = None,
        include_parent: bool = False,
        fetched_at: datetime | None = None,
    ) -> int:
        """Keep a report frame's rows and, for a DAY or HOUR range, what it covered.

        One transaction: the rows are merged by (account, level, granularity, entity, start,
        end), replacing the metrics it carries and keeping the others; with ``start`` and
        ``end`` (bucket starts, both included) every bucket of the range is recorded as
        fetched for ``fields`` and for the given entity ids (or every entity of the level).
        An async report's frame can be kept the same way.

        Returns:
            The number of rows kept.
        """
        fields = _check_fields(fields)
        fetched_at = fetched_at or self.now()
        if "entity_type" in frame and len(frame):
            levels = set(frame["entity_type"].dropna().astype(str))
            if levels - {level}:
                raise InvalidArgument(
                    f"A report frame kept as {level} holds rows of {', '.join(sorted(levels))}."
                )
        incoming = _for_duckdb(frame.drop(columns=["entity_type"], errors="ignore"))
        incoming = incoming.assign(
            account_id=account_id, level=level, granularity=granularity, fetched_at=fetched_at
        )
        incoming = incoming.drop_duplicates(
            subset=[k for k in _REPORT_KEYS if k in incoming], keep="last"
        )
        metrics = [frames.metric_column(f) for f in fields]
        flags = [f"{frames.metric_column(f)}_suppressed" for f in fields]
        flags = [f for f in flags if f in incoming]
        carried = [c for c in [*metrics, *flags] if c in incoming]
        updated = ["entity_name", "entity_status", *carried, "fetched_at"]
        if include_parent:
            updated += [c for c in _PARENT_COLUMNS if c in incoming]
        keep = [
            c for c in [*_ROW_COLUMNS, *_PARENT_COLUMNS, *carried, "fetched_at"] if c in incoming
        ]
        incoming = incoming[keep]
        coverage = self._coverage_frame(
            account_id, level, granularity, fields, start, end, entity_ids, include_parent
        )
        with self._connect(write=True) as con:
            self._add_metric_columns(con, fields)
            if len(incoming):
                con.register("incoming_rows", incoming)
                on = " AND ".join(
                    f"r.{k} IS NOT DISTINCT FROM n.{k}" if k.endswith("_time") else f"r.{k} = n.{k}"
                    for k in _REPORT_KEYS
                )
                assignments = ", ".join(f"{_quote(c)} = n.{_quote(c)}" for c in updated)
                con.execute(
                    f"""MERGE INTO reports AS r USING incoming_rows AS n ON {on}
                        WHEN MATCHED THEN UPDATE SET {assignments}
                        WHEN NOT MATCHED THEN INSERT BY NAME"""
                )
                con.unregister("incoming_rows")
            if coverage is not None and len(coverage):
                self._write_coverage(con, coverage.assign(fetched_at=fetched_at))
        return len(incoming)

    def _coverage_frame(
        self,
        account_id: str,
        level: str,
        granularity: str,
        fields: Sequence[str],
        start: Any,
        end: Any,
        entity_ids: Sequence[str] | None,
        include_parent: bool,
    ) -> pd.DataFrame | None:
        if granularity not in _STEPS or start is None or end is None:
            return None
        first, last = parse_utc(start), parse_utc(end)
        assert first is not None and last is not None
        step = _STEPS[granularity]
        first, last = _bucket(first, granularity), _bucket(last, granularity)
        buckets = pd.date_range(first, last, freq=step)
        scopes = list(dict.fromkeys(entity_ids)) if entity_ids else [EVERY_ENTITY]
        covered = [*fields, *([PARENT_FIELD] if include_parent else [])]
        index = pd.MultiIndex.from_product(
            [scopes, buckets, covered], names=["scope", "bucket_start", "field"]
        )
        return index.to_frame(index=False).assign(
            account_id=account_id, level=level, granularity=granularity
        )

    def _write_coverage(self, con: duckdb.DuckDBPyConnection, coverage: pd.DataFrame) -> None:
        con.register("incoming_coverage", coverage)
        con.execute(
            """MERGE INTO report_coverage AS c USING incoming_coverage AS n
               ON c.account_id = n.account_id AND c.level = n.level
                  AND c.granularity = n.granularity AND c.scope = n.scope
                  AND c.bucket_start = n.bucket_start AND c.field = n.field
               WHEN MATCHED THEN UPDATE SET fetched_at = n.fetched_at
               WHEN NOT MATCHED THEN INSERT BY NAME"""
        )
        con.unregister("incoming_coverage")

    @staticmethod
    def _add_metric_columns(con: duckdb.DuckDBPyConnection, fields: Sequence[str]) -> None:
        present = _columns(con, "reports")
        for field in fields:
            name = frames.metric_column(field)
            if name not in present:
                con.execute(f"ALTER TABLE reports ADD COLUMN {_quote(name)} {_metric_type(field)}")
            if field in frames.SENTINEL_METRICS and f"{name}_suppressed" not in present:
                con.execute(
                    f"ALTER TABLE reports ADD COLUMN {_quote(name + '_suppressed')} BOOLEAN"
                )

    def read_report(self, request: _Request) -> pd.DataFrame:
        """Return the stored rows of a request as the typed frame ``Ads.report`` gives."""
        template = frames.empty_report_frame(
            list(request.fields), include_parent=request.include_parent
        )
        selected = [
            "level AS entity_type" if c == "entity_type" else _quote(c) for c in template.columns
        ]
        where = [
            "account_id = $account",
            "level = $level",
            "granularity = $granularity",
            "start_time BETWEEN $first AND $last",
        ]
        params: dict[str, Any] = {
            "account": request.account_id,
            "level": request.level,
            "granularity": request.granularity,
            "first": request.first,
            "last": request.last,
        }
        if request.entity_ids:
            where.append("list_contains($ids, entity_id)")
            params["ids"] = list(request.entity_ids)
        query = (
            f"SELECT {', '.join(selected)} FROM reports WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY entity_id, start_time"
        )
        with self._connect(write=False) as con:
            self._require_columns(con, template)
            arrow = con.sql(query, params=params).to_arrow_table()
        return _typed(arrow, dict(template.dtypes))

    @staticmethod
    def _require_columns(con: duckdb.DuckDBPyConnection, template: pd.DataFrame) -> None:
        present = _columns(con, "reports") | {"entity_type"}
        absent = [c for c in template.columns if c not in present]
        if absent:
            raise StoreError(
                f"The store holds no column {', '.join(absent)} yet: fetch the report with "
                "these fields first."
            )

    def _fetch_and_keep(self, client: AdsClient, account_id: str, **options: Any) -> pd.DataFrame:
        on_page = options.pop("on_page")
        fields = options["fields"]
        include_parent = options["include_parent"]
        builder = frames.ReportFrameBuilder(fields, include_parent=include_parent)
        statuses = options.pop("statuses")
        level = options.pop("level")
        entity_ids = options.pop("entity_ids")
        for page in endpoints.aggregate_report_pages(
            client,
            account_id,
            entity_type=level,
            fields=fields,
            granularity=options["granularity"],
            start=options["start"],
            end=options["end"],
            entity_ids=entity_ids,
            entity_ids_type=level if entity_ids else None,
            statuses=statuses,
            entity_status_type=level if statuses else None,
            include_parent_entity=include_parent,
            on_page=on_page,
        ):
            builder.add_page(page)
        frame = builder.frame(sort=True)
        # Kept without coverage: a status filter, a LIFETIME total or an open range says
        # nothing about which buckets of the level are complete.
        self.keep_report(
            frame,
            account_id=account_id,
            level=level,
            granularity=options["granularity"],
            fields=fields,
            include_parent=include_parent,
        )
        return frame


def _listing_table(kind: str) -> str:
    if not isinstance(kind, str) or not _IDENTIFIER.match(kind) or kind in _RESERVED:
        raise InvalidArgument(f"{kind!r} cannot name a listing of the store.")
    return kind


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {row[0] for row in rows}


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _bucket(value: datetime, granularity: str) -> datetime:
    value = value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0) if granularity == "DAY" else value


def _us(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000


def _runs(buckets: Sequence[datetime], step: timedelta) -> list[tuple[datetime, datetime]]:
    """Cut sorted bucket starts into contiguous runs (the planner cuts them into windows)."""
    runs: list[tuple[datetime, datetime]] = []
    for b in buckets:
        if runs and b - runs[-1][1] == step:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((b, b))
    return runs


def _quietly() -> AbstractContextManager[None]:
    # Closing after an error: the first error is the one to see.
    return suppress(Exception)
