"""The notebook-friendly layer: ``Ads`` gives DataFrames in one call, with progress bars.

This module owns the calls an analyst types in a notebook: :class:`Ads` (connect once, then
``ads.businesses()``, ``ads.ad_accounts()``, ``ads.campaigns(accounts)``, ``ads.report(...)``).
Every listing and report takes one ad account (an id, a row of ``ads.ad_accounts()``, a dict),
a list of them, or the accounts frame itself; several accounts are fetched side by side under
the rate limits, and every frame carries ``ad_account_id``, ``ad_account_name`` and
``currency_code``, so money is never summed across currencies by accident
(:func:`sum_by_currency` sums per currency). Long loads show ``tqdm`` progress bars (on in a
notebook, off elsewhere; closed on error), and every wait of a second or more says why and for
how long ("waiting 12 s for Spotify's reporting limit", :class:`WaitNotice`).

It never speaks HTTP itself (``client`` does), never says what to ask the API for
(``endpoints`` does), never shapes JSON itself (``frames`` does) and never writes files
(``export`` does; :meth:`Ads.to_parquet` and friends forward to it).

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from tests.helpers import access_token  # doctest: +SKIP
    >>> with Sandbox(rate_limits="off") as sb:  # doctest: +SKIP
    ...     ads = Ads.from_token(sb.api_base_url, access_token(sb), pacing=False)
    ...     accounts = ads.ad_accounts()
    ...     report = ads.report(accounts.iloc[0], fields=["IMPRESSIONS", "SPEND"],
    ...                         start="2026-01-01", end="2026-01-31")
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np
import pandas as pd

from . import async_reports, endpoints, export, frames
from .client import AdsClient, StaticToken, TokenSource
from .exceptions import InvalidArgument, StoreError
from .store import ReportSync, Store, open_store

__all__ = [
    "ACCOUNT_COLUMNS",
    "DEFAULT_REPORT_FIELDS",
    "METRICS",
    "WAIT_NOTICE_MIN_S",
    "Ads",
    "Metric",
    "WaitNotice",
    "account_id",
    "in_notebook",
    "sum_by_currency",
]

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_REPORT_FIELDS: tuple[str, ...] = (
    "IMPRESSIONS",
    "CLICKS",
    "CTR",
    "SPEND",
    "REACH",
    "FREQUENCY",
    "COMPLETES",
    "STREAMS",
)
_KINDS = {"campaigns": "campaigns", "ad_sets": "ad sets", "ads": "ads"}

TimeLike = str | date | datetime | pd.Timestamp


ACCOUNT_COLUMNS: tuple[str, ...] = ("ad_account_id", "ad_account_name", "currency_code")
"""The columns every frame of :class:`Ads` carries about the ad account each row belongs to."""

WAIT_NOTICE_MIN_S = 1.0
"""Waits at least this long are said (in the progress bar, the log and ``on_wait``)."""

_ACCOUNT_KINDS = (
    "an ad account id, a row of ads.ad_accounts(), a dict with an 'id', a list of those, or "
    "the accounts frame itself"
)


@dataclass(frozen=True)
class _Account:
    """An ad account as a listing or report needs it: id, and (once known) name and currency."""

    id: str
    name: str | None = None
    currency_code: str | None = None


_USER_SCOPE = "*"  # the store's scope of a listing of all the user sees (no business named)


def _whole(kind: str, filters: Mapping[str, Any]) -> str | None:
    """Name the listing kept in the store when it is whole (unfiltered), else None."""
    return None if filters else kind


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _one_account(value: Any) -> _Account | None:
    """Read one ad account (an id, a row, a dict, an object with ``id``); None if not one."""
    if isinstance(value, str):
        if not value.strip():
            raise InvalidArgument("An ad account id is empty: pass an id from ads.ad_accounts().")
        return _Account(value)
    if isinstance(value, (pd.Series, Mapping)):
        get: Callable[[str], Any] = value.get
    elif isinstance(value, (pd.DataFrame, list, tuple, set, frozenset, pd.Index, np.ndarray)):
        return None
    elif hasattr(value, "id"):  # an API object, or a row of accounts.itertuples()

        def get(key: str) -> Any:
            return getattr(value, key, None)

    else:
        return None
    ident = get("id")
    if not isinstance(ident, str) or not ident:
        raise InvalidArgument(
            f"This ad account has no id ({type(value).__name__} without an 'id'): pass "
            f"{_ACCOUNT_KINDS}."
        )
    return _Account(ident, _text(get("name")), _text(get("currency_code")))


def _account_refs(value: Any) -> list[_Account]:
    """Read one or many ad accounts from what a notebook passes; each id once, in order.

    Raises:
        InvalidArgument: a value of another kind, a frame without ``id``, nothing at all.
    """
    items: Iterable[Any]
    if isinstance(value, pd.DataFrame):
        if "id" not in value.columns:
            raise InvalidArgument(
                "This frame has no 'id' column, so it names no ad account: pass "
                "ads.ad_accounts() or some of its rows."
            )
        if value.empty:
            raise InvalidArgument(
                "The accounts frame is empty: there is no ad account to ask for. Check "
                "ads.ad_accounts() (a user without an ad account gets an empty frame) or the "
                "filter that emptied it."
            )
        keep = [c for c in ("id", "name", "currency_code") if c in value.columns]
        items = value[keep].to_dict("records")
    elif isinstance(value, pd.Series) and "id" not in value.index:
        items = value.tolist()  # a column of ids, such as accounts["id"]
    elif isinstance(value, (list, tuple, set, frozenset, pd.Index, np.ndarray)):
        items = list(value)
    else:
        one = _one_account(value)
        if one is None:
            raise InvalidArgument(
                f"Pass {_ACCOUNT_KINDS}; a {type(value).__name__} is none of these."
            )
        return [one]
    found: dict[str, _Account] = {}
    for item in items:
        one = _one_account(item)
        if one is None:
            raise InvalidArgument(
                f"Each ad account in a list is {_ACCOUNT_KINDS.split(', a list')[0]}; a "
                f"{type(item).__name__} is none of these."
            )
        found.setdefault(one.id, one)  # twice the same account would count its rows twice
    if not found:
        raise InvalidArgument(
            "No ad account given (an empty list): pass at least one, for example ads.ad_accounts()."
        )
    return list(found.values())


def account_id(account: Any) -> str:
    """Return the ad account id of an id, a row of ``ads.ad_accounts()`` or an API object.

    Raises:
        InvalidArgument: nothing that looks like one ad account.
    """
    one = _one_account(account)
    if one is None:
        raise InvalidArgument(
            "Pass one ad account as its id or as a row of ads.ad_accounts() (with an 'id'), "
            f"not a {type(account).__name__}."
        )
    return one.id


def _with_account_columns(frame: pd.DataFrame, account: _Account, *, at: int) -> pd.DataFrame:
    """Put :data:`ACCOUNT_COLUMNS` into ``frame`` from position ``at`` (present ones kept)."""
    values = {"ad_account_id": account.id, "ad_account_name": account.name}
    values["currency_code"] = account.currency_code
    for name, value in values.items():
        if name in frame.columns:
            at = list(frame.columns).index(name) + 1
            if name == "currency_code" and value is not None:  # a budget without its currency
                frame[name] = frame[name].fillna(value)
            continue
        frame.insert(
            at,
            name,
            pd.Series(pd.NA if value is None else value, index=frame.index, dtype="string"),
        )
        at += 1
    return frame


def _concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    # Empty parts are left out: they only carry the columns (and pandas warns about them).
    full = [p for p in parts if len(p)]
    if len(full) == 1:
        return full[0]
    if not full:
        return parts[0]
    return pd.concat(full, ignore_index=True)


# -- metrics: units and meanings (ReportFieldType, B5, B7) ---------------------------------------


class Metric(NamedTuple):
    """One report metric (a ``ReportFieldType``): its unit, its meaning, whether it adds up.

    Attributes:
        field: the ``ReportFieldType`` name (``SPEND``).
        unit: ``count``, ``currency`` (the account's, in units not micros, B7), ``%``,
            ``ratio``, or ``currency per 1,000 completes`` and the like.
        meaning: one sentence.
        additive: rows may be summed (within one currency for money); False for rates,
            averages and deduplicated people (reach), which do not add up.
    """

    field: str
    unit: str
    meaning: str
    additive: bool


def _m(field: str, unit: str, meaning: str, additive: bool | None = None) -> Metric:
    adds = unit in ("count", "currency") if additive is None else additive
    return Metric(field, unit, meaning, adds)


METRICS: dict[str, Metric] = {
    m.field: m
    for m in (
        _m("IMPRESSIONS", "count", "Times an ad was served."),
        _m("STREAMED_IMPRESSIONS", "count", "Impressions served while music or podcasts played."),
        _m("OFF_SPOTIFY_IMPRESSIONS", "count", "Impressions served outside Spotify's apps."),
        _m("REACH", "count", "Distinct people who saw an ad (deduplicated).", False),
        _m("FREQUENCY", "ratio", "Average impressions per person reached."),
        _m("CLICKS", "count", "Clicks on an ad."),
        _m("CTR", "%", "Click-through rate: clicks per 100 impressions."),
        _m("SPEND", "currency", "Money spent, in the account's currency (not micros)."),
        _m("E_CPCL", "currency per 1,000 completes", "Effective cost per 1,000 completed listens."),
        _m("STARTS", "count", "Audio or video ads started."),
        _m("FIRST_QUARTILES", "count", "Ads played to a quarter of their length."),
        _m("MIDPOINTS", "count", "Ads played to half their length."),
        _m("THIRD_QUARTILES", "count", "Ads played to three quarters of their length."),
        _m("COMPLETES", "count", "Ads played to their end."),
        _m("COMPLETION_RATE", "%", "Completes per 100 starts."),
        _m("SKIPS", "count", "Ads skipped (retired by Spotify)."),
        _m("UNMUTES", "count", "Video ads unmuted."),
        _m("VIDEO_VIEWS", "count", "Video ads viewed."),
        _m("VIDEO_EXPANDS", "count", "Video ads expanded."),
        _m("VIDEO_EXPAND_RATE", "%", "Video expands per 100 video views."),
        _m("PAID_LISTENS", "count", "Listens paid for (retired by Spotify)."),
        _m("PAID_LISTENS_REACH", "count", "People with a paid listen (retired).", False),
        _m("PAID_LISTENS_FREQUENCY", "ratio", "Paid listens per person (retired)."),
        _m("INTENT_RATE", "%", "Intents to listen per 100 impressions (retired)."),
        _m("STREAMS", "count", "Streams of the promoted music or podcast."),
        _m("LISTENERS", "count", "People who streamed the promoted content.", False),
        _m("NEW_LISTENERS", "count", "Listeners new to the promoted content.", False),
        _m("NEW_LISTENER_STREAMS", "count", "Streams by new listeners."),
        _m("CONVERSION_RATE", "%", "Listeners per 100 people reached."),
        _m("NEW_LISTENER_CONVERSION_RATE", "%", "New listeners per 100 people reached."),
        _m("STREAMS_PER_USER", "ratio", "Streams per listener."),
        _m("STREAMS_PER_NEW_LISTENER", "ratio", "Streams per new listener."),
        _m("PAGE_VIEWS", "count", "Website page views after an ad (a pixel's event)."),
        _m("LEADS", "count", "Leads after an ad (a pixel's event)."),
        _m("ADD_TO_CART", "count", "Add-to-cart events after an ad."),
        _m("START_CHECKOUT", "count", "Checkouts started after an ad."),
        _m("PURCHASES", "count", "Purchases after an ad."),
        _m("PRODUCTS", "count", "Product views after an ad."),
        _m("SIGN_UPS", "count", "Sign-ups after an ad."),
        *(
            _m(f"CUSTOM_EVENT_{n}", "count", f"The advertiser's custom event {n} after an ad.")
            for n in range(1, 6)
        ),
        _m("REVENUE", "currency", "Revenue of purchases after an ad, in the account's currency."),
        _m("AVERAGE_ORDER_VALUE", "currency per purchase", "Revenue per purchase."),
        _m("RETURN_ON_AD_SPEND", "ratio", "Revenue per unit of spend (ROAS)."),
        _m("CUSTOMER_ACQUISITION_COST", "currency per purchase", "Spend per purchase."),
        _m("COST_PER_LEAD", "currency per lead", "Spend per lead."),
    )
}
"""Every ``ReportFieldType`` metric with its unit and meaning, by field name.

Conversion counts (``LEADS``, ``PURCHASES`` ...) between 1 and 4 come as NA with a
``<metric>_suppressed`` flag (B7): their sums are lower bounds.
"""


def sum_by_currency(
    frame: pd.DataFrame, *, by: Sequence[str] = (), metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """Sum a report's additive metrics per currency (and ``by``): money never mixes currencies.

    Args:
        frame: a report of :meth:`Ads.report` (any accounts), with ``currency_code``.
        by: more columns to group by (``ad_account_name``, ``start_time`` ...).
        metrics: the metric columns to sum (lower case); by default every additive one
            present (:data:`METRICS`): counts and money, not rates or reach.

    Returns:
        One row per currency (and ``by`` value), ``currency_code`` first.

    Raises:
        InvalidArgument: no ``currency_code`` column, or a metric that does not add up.
    """
    if "currency_code" not in frame.columns:
        raise InvalidArgument(
            "This frame has no currency_code column, so its money cannot be summed safely: "
            "use a frame of ads.report(...), which carries the currency of every row."
        )
    if metrics is None:
        metrics = [c for c in frame.columns if c.upper() in METRICS and METRICS[c.upper()].additive]
    else:
        wrong = [m for m in metrics if m.upper() in METRICS and not METRICS[m.upper()].additive]
        if wrong:
            raise InvalidArgument(
                f"{', '.join(wrong)} do not add up across rows (rates, averages or "
                "deduplicated people): recompute them from summed counts instead."
            )
    keys = ["currency_code", *by]
    return frame.groupby(keys, observed=True, dropna=False)[list(metrics)].sum().reset_index()


# -- progress and waits ---------------------------------------------------------------------------


def _seconds(seconds: float) -> str:
    whole = max(1, round(seconds))
    return f"{whole} s" if whole < 120 else f"{whole / 60:.0f} min"


class WaitNotice(NamedTuple):
    """A wait of the client worth saying: how long, and why (B11).

    Attributes:
        seconds: how long the client waits.
        reason: why, completing "waiting 12 s for ..." (``Spotify's reporting limit``).
    """

    seconds: float
    reason: str

    @property
    def message(self) -> str:
        """Return the wait in words: ``waiting 12 s for Spotify's reporting limit``."""
        return f"waiting {_seconds(self.seconds)} for {self.reason}"


def in_notebook() -> bool:
    """Tell whether this runs in a Jupyter kernel (notebook, Lab, Voila): progress bars show.

    The same test as ``tqdm.auto``'s choice of a notebook bar; a terminal, a script or a
    test gets no bar.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _Watch(NamedTuple):
    on_rows: Callable[[int], None] | None
    on_wait: Callable[[WaitNotice], None] | None
    bars: bool


class _Progress:
    """A thread-safe tqdm counter of pages and rows, closed however the load ends.

    It also shows the client's waits (:class:`WaitNotice`) in the bar's postfix until they
    end, and forwards rows and waits to the watchers of the thread that started the load.
    """

    def __init__(
        self,
        enabled: bool,
        desc: str,
        unit: str,
        *,
        watches: Sequence[_Watch] = (),
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self._watches = tuple(watches)
        self._clock = clock
        self._wait: tuple[float, str] | None = None  # (until, reason)
        self.pages = 0
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(desc=desc, unit=unit, leave=False)

    def _postfix(self) -> str:
        text = f"{self.pages} pages"
        if self._wait is not None and self._clock is not None:
            left = self._wait[0] - self._clock()
            if left >= WAIT_NOTICE_MIN_S:
                text += f", {WaitNotice(left, self._wait[1]).message}"
            else:
                self._wait = None
        return text

    def update(self, rows: int) -> None:
        """Count one page of ``rows``."""
        with self._lock:
            self.pages += 1
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.update(rows)
        for watch in self._watches:
            if watch.on_rows is not None:
                watch.on_rows(rows)

    def wait(self, notice: WaitNotice) -> None:
        """Show a wait of the client (it holds until it ends or a longer one comes)."""
        with self._lock:
            if self._clock is not None:
                until = self._clock() + notice.seconds
                if self._wait is None or until >= self._wait[0] or notice.reason != self._wait[1]:
                    self._wait = (until, notice.reason)
            if self._bar is not None:
                text = f"{self.pages} pages, {notice.message}"
                self._bar.set_postfix_str(text, refresh=True)
        for watch in self._watches:
            if watch.on_wait is not None:
                watch.on_wait(notice)

    def close(self) -> None:
        """Close the bar (idempotent)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def _instance_method(fn: F) -> F:
    """Make ``Ads.method(...)`` called on the class say how to call it, not a bare TypeError.

    Every call first checks that a login still stands behind the ``Ads``
    (:meth:`Ads._check_login`), so that nothing answers from the store for one that ended.
    """

    @functools.wraps(fn)
    def checked(self: Ads, *args: Any, **kwargs: Any) -> Any:
        self._check_login()
        return fn(self, *args, **kwargs)

    class _Method:
        def __set_name__(self, owner: type, name: str) -> None:
            self.name = name

        def __get__(self, obj: Any, owner: type | None = None) -> Any:
            if obj is not None:
                return types.MethodType(checked, obj)

            @functools.wraps(fn)
            def unbound(*args: Any, **kwargs: Any) -> Any:
                if args and owner is not None and isinstance(args[0], owner):
                    return checked(*args, **kwargs)
                raise InvalidArgument(
                    f"{fn.__name__}() is asked of a connected Ads, not of the class: "
                    f"ads = adstudio_nb.connect(), then ads.{fn.__name__}(...)."
                )

            return unbound

    method = _Method()
    functools.update_wrapper(method, fn)  # type: ignore[arg-type]
    return cast(F, method)


class Ads:
    """Spotify's Ads API as typed DataFrames, for notebooks.

    Args:
        client: the API client (see :func:`adstudio_nb.connect` and :meth:`from_token`).
        progress: show progress bars on long loads; by default in a notebook only
            (:func:`in_notebook`), not in a terminal or a script.
        on_wait: called with a :class:`WaitNotice` for every wait of the client of at least
            :data:`WAIT_NOTICE_MIN_S` (pacing, a 429, a backoff), from the thread that waits.
        store: keep what is fetched in a local DuckDB store and answer from it
            (:class:`~adstudio_nb.store.Store`): a Store, a file path, True for the
            default store (:func:`~adstudio_nb.store.default_store_path`), or None.

    Attributes:
        async_policy: how :meth:`report` chooses, polls and downloads async CSV reports
            (:class:`~adstudio_nb.async_reports.AsyncPolicy`; replace it to tune).
    """

    async_policy: async_reports.AsyncPolicy = async_reports.AsyncPolicy()

    def __init__(
        self,
        client: AdsClient,
        *,
        progress: bool | None = None,
        on_wait: Callable[[WaitNotice], None] | None = None,
        store: Store | str | Path | bool | None = None,
    ) -> None:
        self.client = client
        self.progress = progress
        self.on_wait = on_wait
        self.store = open_store(store)
        self._lock = threading.Lock()
        self._loads: set[_Progress] = set()  # the loads under way, told of every wait
        self._local = threading.local()  # the watches of the thread that starts a load
        self._known: dict[str, _Account] = {}  # names and currencies seen, by account id
        self._client_on_wait = client.on_wait
        client.on_wait = self._client_waits

    # -- progress and waits ----------------------------------------------------------------------

    def _client_waits(self, seconds: float, reason: str) -> None:
        """The client's ``on_wait``: say every wait worth saying, wherever it shows."""
        if self._client_on_wait is not None:
            self._client_on_wait(seconds, reason)
        if seconds < WAIT_NOTICE_MIN_S:
            return
        notice = WaitNotice(seconds, reason)
        log.info("Ads API: %s", notice.message)
        with self._lock:
            loads = list(self._loads)
        for load in loads:
            load.wait(notice)
        if self.on_wait is not None:
            self.on_wait(notice)

    @contextmanager
    def watch(
        self,
        *,
        on_rows: Callable[[int], None] | None = None,
        on_wait: Callable[[WaitNotice], None] | None = None,
        bars: bool = True,
    ) -> Iterator[None]:
        """Follow the loads this thread starts inside the block: rows as they come, waits.

        For a panel that shows its own progress (the report explorer): ``on_rows(n)`` after
        each page, ``on_wait(notice)`` for each wait the client says while one of these loads
        runs; ``bars=False`` shows no tqdm bar for them.
        """
        watches: list[_Watch] = getattr(self._local, "watches", [])
        self._local.watches = [*watches, _Watch(on_rows, on_wait, bars)]
        try:
            yield
        finally:
            self._local.watches = watches

    @contextmanager
    def _progress(self, desc: str, unit: str = "rows") -> Iterator[_Progress]:
        watches: list[_Watch] = getattr(self._local, "watches", [])
        wanted = in_notebook() if self.progress is None else self.progress
        bar = _Progress(
            wanted and all(w.bars for w in watches),
            desc,
            unit,
            watches=watches,
            clock=self.client.clock,
        )
        with self._lock:
            self._loads.add(bar)
        try:
            yield bar
        finally:  # closed on success and on error alike: no orphaned bar in the notebook
            with self._lock:
                self._loads.discard(bar)
            bar.close()

    # -- which accounts ----------------------------------------------------------------------------

    def _remember(self, frame: pd.DataFrame) -> None:
        if frame.empty or "id" not in frame.columns:
            return
        with self._lock:
            for ident, name, currency in zip(
                frame["id"], frame["name"], frame["currency_code"], strict=True
            ):
                if isinstance(ident, str):
                    self._known[ident] = _Account(ident, _text(name), _text(currency))

    def _accounts(self, value: Any) -> list[_Account]:
        """Read the accounts asked for, their names and currencies filled in (B2).

        An id alone is looked up once per ``Ads`` (one request per account, side by side);
        a row of ``ads.ad_accounts()`` brings its own.
        """
        refs = _account_refs(value)
        with self._lock:
            known = dict(self._known)
        missing = [
            r.id for r in refs if (r.name is None or r.currency_code is None) and r.id not in known
        ]
        if missing:
            with self.client.call() as call:
                bodies = list(call.map(lambda a: endpoints.ad_account(self.client, a), missing))
            self._remember(frames.ad_accounts_frame(bodies))
            with self._lock:
                known = dict(self._known)
        out = []
        for ref in refs:
            seen = known.get(ref.id)
            name = ref.name or (seen.name if seen else None)
            currency = ref.currency_code or (seen.currency_code if seen else None)
            out.append(_Account(ref.id, name, currency))
        return out

    @classmethod
    def from_token(
        cls,
        api_base_url: str,
        token: str | TokenSource,
        *,
        progress: bool | None = None,
        on_wait: Callable[[WaitNotice], None] | None = None,
        store: Store | str | Path | bool | None = None,
        **client_options: Any,
    ) -> Ads:
        """Connect with an access token (or any token source) obtained elsewhere.

        ``progress``, ``on_wait`` and ``store`` are as for :class:`Ads`; ``client_options``
        go to :class:`~adstudio_nb.client.AdsClient`.
        """
        source = StaticToken(token) if isinstance(token, str) else token
        client = AdsClient(api_base_url, source, **client_options)
        return cls(client, progress=progress, on_wait=on_wait, store=store)

    def close(self) -> None:
        """Close the client's connections and threads."""
        self.client.close()

    def _check_login(self) -> None:
        """With a store, make sure a login still stands behind this ``Ads`` before a call.

        The store could answer a listing or report alone; after Forget, a revoked access or
        an expired login it must not, so the token source is asked first (and tells the
        session, so every panel agrees). Without a store every call asks it anyway.
        """
        if self.store is not None:
            self.client.token_source.access_token()

    def use_store(
        self, store: Store | str | Path | bool | None = True, **options: Any
    ) -> Store | None:
        """Keep what this ``Ads`` fetches in a local store from now on; return the store.

        Args:
            store: a :class:`~adstudio_nb.store.Store`, a DuckDB file path, True for the
                default store (one per profile in the user's data directory), or None to
                stop keeping.
            **options: for a new store (``restatement_days``, ``listing_max_age_s``, ...).
        """
        self.store = open_store(store, **options)
        return self.store

    def sql(self, query: str, params: Any = None) -> pd.DataFrame:
        """Run SQL over the local store and return a DataFrame (:meth:`.Store.sql`).

        Raises:
            StoreError: this ``Ads`` keeps no store (``Ads(..., store=True)``), or DuckDB
                could not run the query.
        """
        if self.store is None:
            raise StoreError(
                "This Ads keeps no local store, so there is nothing to query: create it with "
                "store=True (the default store) or store='path/to/ads.duckdb'."
            )
        return cast(pd.DataFrame, self.store.sql(query, params))

    def __enter__(self) -> Ads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ads {self.client.api_base_url}>"

    # -- accounts and objects (B1-B3) ------------------------------------------------------------

    @_instance_method
    def businesses(self) -> pd.DataFrame:
        """Return the current user's businesses (B1)."""
        frame = frames.businesses_frame(endpoints.businesses(self.client))
        self._keep("businesses", [(_USER_SCOPE, frame)])
        return frame

    @_instance_method
    def ad_accounts(self, business: Any = None) -> pd.DataFrame:
        """Return the ad accounts of one business, or of all the user's businesses (B1).

        The frame (or some of its rows) can be passed to every listing and report.
        """
        if business is None:
            frame = frames.ad_accounts_frame(endpoints.all_ad_accounts(self.client))
        else:
            found = endpoints.business_ad_accounts(self.client, account_id(business))
            frame = frames.ad_accounts_frame(found)
        self._remember(frame)
        if business is None:
            self._keep("ad_accounts", [(_USER_SCOPE, frame)])
        else:
            self._keep("ad_accounts", [(account_id(business), frame)])
        return frame

    def _keep(self, kind: str, listings: Sequence[tuple[str, pd.DataFrame]]) -> None:
        """Keep whole listings in the store (for SQL and export); they are fetched each time.

        Only campaigns, ad sets and ads are answered from the store (:meth:`_objects`): the
        other listings change in ways a maximum age would hide (access, members, drafts).
        """
        if self.store is None:
            return
        for scope, frame in listings:
            self.store.keep_listing(kind, scope, frame)

    @_instance_method
    def ad_account(self, account: Any) -> pd.Series:
        """Return one ad account as a row (B1, B2)."""
        frame = frames.ad_accounts_frame([endpoints.ad_account(self.client, account_id(account))])
        self._remember(frame)
        return frame.iloc[0]

    def _objects(
        self,
        kind: str,
        account: Any,
        params: dict[str, Any],
        build: Callable[..., pd.DataFrame],
        fresh: bool = False,
    ) -> pd.DataFrame:
        # Only a whole listing is kept in the store (a filtered one says nothing of the rest).
        store = self.store if not params else None
        # B3: oldest first, so objects created while paging land after the pages already read.
        params = {"sort_field": "CREATED_AT", "sort_direction": "ASC", **params}
        accounts = self._accounts(account)
        kept: dict[str, pd.DataFrame | None] = {}
        if store is not None and not fresh:
            kept = {
                a.id: store.stored_listing(kind, a.id, build([], ad_account_id=a.id))
                for a in accounts
            }
        what = _KINDS.get(kind, kind.replace("_", " "))
        desc = f"{what} of {accounts[0].name or accounts[0].id[:8]}"
        if len(accounts) > 1:
            desc = f"{what} of {len(accounts)} accounts"
        with self._progress(desc, unit=what) as bar:
            # One walk for every account: their pages side by side under the limits (B3, B11).
            fetched = [a.id for a in accounts if kept.get(a.id) is None]
            built: dict[str, pd.DataFrame] = {}

            def shape(n: int, items: list[dict[str, Any]]) -> None:
                # Each account's frame is built as soon as its listing is complete, while
                # the other accounts' pages are still on their way.
                built[fetched[n]] = build(items, ad_account_id=fetched[n])

            endpoints.list_objects_many(
                self.client, fetched, kind, params, on_page=bar.update, on_listing=shape
            )
        parts = []
        for acct in accounts:
            frame = kept.get(acct.id)
            if frame is None:
                frame = built[acct.id]
                if store is not None:
                    store.keep_listing(kind, acct.id, frame)
            columns = list(frame.columns)
            at = columns.index("ad_account_id") if "ad_account_id" in columns else 1
            parts.append(_with_account_columns(frame, acct, at=at))
        return _concat(parts)

    @_instance_method
    def campaigns(self, account: Any, *, fresh: bool = False, **filters: Any) -> pd.DataFrame:
        """Return the campaigns of one or more ad accounts (B3); ``filters`` as in the spec.

        ``account`` is an id, a row of ``ads.ad_accounts()``, a dict, a list of them or the
        accounts frame: every account's pages are fetched side by side and the rows come in
        the accounts' order, with ``ad_account_id``, ``ad_account_name`` and
        ``currency_code``. With a store, an unfiltered listing fetched within the store's
        ``listing_max_age_s`` comes from it (``fresh=True`` fetches it again).
        """
        return self._objects("campaigns", account, filters, frames.campaigns_frame, fresh)

    @_instance_method
    def ad_sets(self, account: Any, *, fresh: bool = False, **filters: Any) -> pd.DataFrame:
        """Return the ad sets of one or more accounts, budgets in micros and units (B2, B3).

        Budgets are in each row's ``currency_code``: sum them per currency (and per
        ``budget_type``), never across.
        """
        return self._objects("ad_sets", account, filters, frames.ad_sets_frame, fresh)

    @_instance_method
    def ads(self, account: Any, *, fresh: bool = False, **filters: Any) -> pd.DataFrame:
        """Return the ads of one or more ad accounts (B3)."""
        return self._objects("ads", account, filters, frames.ads_frame, fresh)

    # -- reports (B5-B8) ---------------------------------------------------------------------------

    @_instance_method
    def report(
        self,
        account: Any,
        *,
        level: str = "AD_SET",
        fields: Sequence[str] = DEFAULT_REPORT_FIELDS,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        granularity: str = "DAY",
        entity_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        include_parent: bool = False,
        method: str = "auto",
        fresh: bool = False,
    ) -> pd.DataFrame:
        """Return an aggregate report as a typed frame, one column per metric (B5-B7).

        Large reports are split into parts (50 ids per batch, windows Spotify accepts) and
        fetched side by side under the reporting rate limit (B11), the parts of every account
        together; rows come account by account (in the accounts' order), then by entity and
        start time. The first columns are ``ad_account_id``, ``ad_account_name`` and
        ``currency_code``: ``SPEND`` is in each row's currency, so sum it per currency
        (:func:`sum_by_currency`), never across.

        Args:
            account: one ad account (an id, a row of ``ads.ad_accounts()``, a dict), a list
                of them, or the accounts frame.
            level: ``AD_ACCOUNT``, ``CAMPAIGN``, ``AD_SET`` or ``AD``.
            fields: ``ReportFieldType`` metrics.
            start: first day (DAY), hour (HOUR) or day of the range; UTC.
            end: last day or hour, included (B5).
            granularity: ``DAY``, ``HOUR`` or ``LIFETIME``.
            entity_ids: only these entities (of ``level``).
            statuses: only entities with these statuses.
            include_parent: add the parent entity's id, name and status.
            method: ``"auto"`` (an async CSV report where it needs far fewer requests: long
                DAY ranges of many entities, B8), ``"aggregate"`` (report pages only) or
                ``"async"``; every method gives the same columns and dtypes.
            fresh: with a store, fetch every day again instead of answering from it.

        With a store (``Ads(store=...)``), DAY and HOUR reports are answered from it for the
        days it holds and only the missing days, and those of the restatement window, are
        fetched (:meth:`.Store.report`); rows then come by entity id, then start time.
        """
        accounts = self._accounts(account)
        fields = list(fields)
        if self.store is not None:
            return self._stored_report(
                accounts,
                level=level,
                fields=fields,
                start=start,
                end=end,
                granularity=granularity,
                entity_ids=entity_ids,
                statuses=statuses,
                include_parent=include_parent,
                method=method,
                fresh=fresh,
            )
        by_async = self._async_reports(
            accounts,
            method,
            async_reports.ReportRequest(
                "",
                level,
                tuple(fields),
                granularity,
                start,
                end,
                tuple(entity_ids) if entity_ids else None,
                tuple(statuses) if statuses else None,
                include_parent,
            ),
        )
        desc = f"{level.lower()} report" + (f", {len(accounts)} accounts" if accounts[1:] else "")
        with self._progress(desc, unit="rows") as bar:
            paged = self._paged_reports(
                [a.id for a in accounts if a.id not in by_async],
                level=level,
                fields=fields,
                granularity=granularity,
                start=start,
                end=end,
                entity_ids=entity_ids,
                statuses=statuses,
                include_parent=include_parent,
                on_page=bar.update,
            )
        frames_by_account = {**paged, **by_async}
        parts = [_with_account_columns(frames_by_account[a.id], a, at=0) for a in accounts]
        return _concat(parts)

    def _paged_reports(
        self,
        account_ids: Sequence[str],
        *,
        level: str,
        fields: list[str],
        granularity: str,
        entity_ids: Sequence[str] | None,
        statuses: Sequence[str] | None,
        include_parent: bool,
        on_page: Callable[[int], None],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Fetch the same report of several accounts by its pages, side by side (B5, B11)."""
        ids = list(dict.fromkeys(account_ids))
        if not ids:
            return {}
        builders = {
            a: frames.ReportFrameBuilder(fields, include_parent=include_parent) for a in ids
        }
        # The dates go as given: parsed and written once, by the report planner (B5).
        for acct, page in endpoints.aggregate_report_pages_of_accounts(
            self.client,
            ids,
            entity_type=level,
            fields=fields,
            granularity=granularity,
            start=start,
            end=end,
            entity_ids=entity_ids,
            entity_ids_type=level if entity_ids else None,
            statuses=statuses,
            entity_status_type=level if statuses else None,
            include_parent_entity=include_parent,
            on_page=on_page,
        ):
            builders[acct].add_page(page)
        return {a: builder.frame(sort=True) for a, builder in builders.items()}

    def _stored_report(
        self,
        accounts: Sequence[_Account],
        *,
        level: str,
        fields: list[str],
        granularity: str,
        entity_ids: Sequence[str] | None,
        include_parent: bool,
        method: str,
        fresh: bool,
        **options: Any,
    ) -> pd.DataFrame:
        """The report through the store: kept days from it, missing runs fetched and kept.

        Every account's missing runs are planned first; the parts of all of them are then
        fetched side by side under the limits (B11), each kept as it comes.
        """
        assert self.store is not None
        store = self.store
        statuses = options.pop("statuses")
        syncs: dict[str, ReportSync] = {}
        if not statuses:  # a status filter says nothing of which buckets are complete
            for acct in accounts:
                sync = store.plan_report(
                    acct.id,
                    level=level,
                    fields=fields,
                    granularity=granularity,
                    entity_ids=entity_ids,
                    include_parent=include_parent,
                    fresh=fresh,
                    **options,
                )
                if sync is not None:
                    syncs[acct.id] = sync
        desc = f"{level.lower()} report" + (f", {len(accounts)} accounts" if accounts[1:] else "")
        with self._progress(desc, unit="rows") as bar:
            target = max(1, -(-2 * self.client.max_workers // max(1, len(syncs))))
            for acct in accounts:
                sync = syncs.get(acct.id)
                if sync is None:
                    continue

                def by_async(
                    first: datetime, last: datetime, ids: list[str] | None, acct: Any = acct
                ) -> pd.DataFrame | None:
                    # A long run of missing days may go as one async CSV report (B8).
                    request = async_reports.ReportRequest(
                        acct.id,
                        level,
                        tuple(fields),
                        granularity,
                        first,
                        last,
                        tuple(ids) if ids else None,
                        None,
                        include_parent,
                    )
                    return self._async_reports([acct], method, request).get(acct.id)

                store.plan_parts(
                    sync,
                    by_async if method != "aggregate" else None,
                    target_parts=target,
                    page_size=self.client.page_size,
                )
            jobs = [(s, part) for s in syncs.values() for part in s.parts]
            if jobs:
                fetched = endpoints.account_report_parts(
                    self.client,
                    [(s.request.account_id, part) for s, part in jobs],
                    on_page=bar.update,
                )
                for (sync, part), (_acct, pages) in zip(jobs, fetched, strict=True):
                    store.keep_part(sync, part, pages)
            # LIFETIME, no range or a status filter: fetched whole (all such accounts in one
            # walk) and kept without coverage, as they say nothing of which days are complete.
            whole_frames = self._paged_reports(
                [a.id for a in accounts if a.id not in syncs],
                level=level,
                fields=fields,
                granularity=granularity,
                entity_ids=entity_ids,
                statuses=statuses,
                include_parent=include_parent,
                on_page=bar.update,
                **options,
            )
            for acct_id, frame in whole_frames.items():
                store.keep_report(
                    frame,
                    account_id=acct_id,
                    level=level,
                    granularity=granularity,
                    fields=fields,
                    include_parent=include_parent,
                )
            parts = [
                _with_account_columns(
                    store.read_report(syncs[a.id].request) if a.id in syncs else whole_frames[a.id],
                    a,
                    at=0,
                )
                for a in accounts
            ]
        return _concat(parts)

    def _async_reports(
        self, accounts: Sequence[_Account], method: str, request: async_reports.ReportRequest
    ) -> dict[str, pd.DataFrame]:
        """Return the reports of the accounts that the async path serves, by account (B8)."""
        out = {}
        for acct in accounts:
            one = dataclasses.replace(request, account=acct.id)
            choice = async_reports.choose_method(
                self.client, one, method=method, policy=self.async_policy
            )
            log.debug("report of %s: %s (%s)", acct.id, choice.method, choice.reason)
            if choice.method == "async":
                with self._progress(f"{request.level.lower()} CSV report", unit="reports") as bar:
                    out[acct.id] = async_reports.async_report_frame(
                        self.client,
                        one,
                        entities=choice.entities,
                        policy=self.async_policy,
                        on_report=lambda _id, _what: bar.update(1),
                    )
        return out

    @_instance_method
    def totals(
        self,
        account: Any,
        entity_ids: Sequence[str],
        *,
        level: str = "AD_SET",
        fields: Sequence[str] = ("IMPRESSIONS", "CLICKS", "CTR", "REACH", "FREQUENCY"),
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        granularity: str = "LIFETIME",
    ) -> pd.DataFrame:
        """Return deduplicated totals over up to 50 entities: one row, or one per day (B8).

        Totals are of one ad account (one currency); the frame starts with its
        ``ad_account_id``, ``ad_account_name`` and ``currency_code``.

        Raises:
            InvalidArgument: more than one account (totals deduplicate within one).
        """
        acct = self._single_account(account, "Totals")
        body = endpoints.aggregate_totals(
            self.client,
            acct.id,
            entity_type=level,
            entity_ids=list(entity_ids),
            fields=list(fields),
            granularity=granularity,
            start=start,
            end=end,
        )
        return _with_account_columns(frames.totals_frame(body, list(fields)), acct, at=0)

    def _single_account(self, account: Any, what: str) -> _Account:
        accounts = self._accounts(account)
        if len(accounts) > 1:
            raise InvalidArgument(
                f"{what} are of one ad account, and {len(accounts)} were given: pass one "
                "(for example accounts.iloc[0]), or loop over them."
            )
        return accounts[0]

    @_instance_method
    def insights(
        self,
        account: Any,
        dimension: str,
        *,
        fields: Sequence[str] = ("IMPRESSIONS", "CLICKS", "CTR", "REACH"),
        entity_id: str | None = None,
        entity_ids_type: str = "AD_SET",
    ) -> pd.DataFrame:
        """Return an insight report: lifetime metrics by ``dimension`` (AGE, GENDER, ..., B8).

        Raises:
            UnprocessableReport: too little data yet (422); try again another day.
        """
        acct = self._single_account(account, "Insight reports")
        body = endpoints.insight_report(
            self.client,
            acct.id,
            dimension=dimension,
            fields=list(fields),
            entity_id=entity_id,
            entity_ids_type=entity_ids_type,
        )
        return _with_account_columns(frames.insights_frame(body, list(fields)), acct, at=0)

    # -- the rest of the read surface (B2, B3): one object, listings, people, lookups ----------

    def _one(self, account: Any, collection: str, object_id: str, build: Any) -> pd.Series:
        acct = self._single_account(account, f"One of {collection.replace('_', ' ')}")
        body = endpoints.account_object(self.client, acct.id, collection, object_id)
        frame = build([body], ad_account_id=acct.id)
        at = list(frame.columns).index("ad_account_id") if "ad_account_id" in frame else 1
        return _with_account_columns(frame, acct, at=at).iloc[0]

    @_instance_method
    def campaign(self, account: Any, campaign_id: str) -> pd.Series:
        """Return one campaign of an ad account as a row (B2)."""
        return self._one(account, "campaigns", campaign_id, frames.campaigns_frame)

    @_instance_method
    def ad_set(self, account: Any, ad_set_id: str) -> pd.Series:
        """Return one ad set of an ad account as a row, frequency caps as columns (B2)."""
        return self._one(account, "ad_sets", ad_set_id, frames.ad_sets_frame)

    @_instance_method
    def ad(self, account: Any, ad_id: str) -> pd.Series:
        """Return one ad of an ad account as a row (B2)."""
        return self._one(account, "ads", ad_id, frames.ads_frame)

    @_instance_method
    def asset(self, account: Any, asset_id: str) -> pd.Series:
        """Return one asset (image, audio or video) of an ad account as a row (B2)."""
        return self._one(account, "assets", asset_id, frames.assets_frame)

    @_instance_method
    def audience(self, account: Any, audience_id: str) -> pd.Series:
        """Return one audience of an ad account as a row (B2)."""
        return self._one(account, "audiences", audience_id, frames.audiences_frame)

    @_instance_method
    def business(self, business: Any) -> pd.Series:
        """Return one business as a row (an id, or a row of ``ads.businesses()``; B1)."""
        ids = _business_ids(business)
        if len(ids) != 1:
            raise InvalidArgument(f"Pass one business, not {len(ids)}: loop over them.")
        return frames.businesses_frame([endpoints.business(self.client, ids[0])]).iloc[0]

    def _account_listing(
        self,
        account: Any,
        suffix: str,
        items_key: str,
        params: Mapping[str, Any],
        build: Callable[..., pd.DataFrame],
        keep_as: str | None = None,
    ) -> pd.DataFrame:
        """Walk one listing below ``/ad_accounts/{id}/`` of one or many accounts (B3).

        ``keep_as`` names the whole (unfiltered) listing kept in the store, if any.
        """
        accounts = self._accounts(account)
        what = items_key.replace("_", " ")
        desc = f"{what} of {accounts[0].name or accounts[0].id[:8]}"
        if len(accounts) > 1:
            desc = f"{what} of {len(accounts)} accounts"
        with self._progress(desc, unit=what) as bar:
            chunks = endpoints.list_account_items_many(
                self.client, [a.id for a in accounts], suffix, items_key, params, on_page=bar.update
            )
        return self._per_account(accounts, chunks, build, keep_as)

    def _per_account(
        self,
        accounts: Sequence[Any],
        chunks: Sequence[Any],
        build: Callable[..., pd.DataFrame],
        keep_as: str | None = None,
    ) -> pd.DataFrame:
        parts = []
        for acct, items in zip(accounts, chunks, strict=True):
            frame = build(items, ad_account_id=acct.id)
            if keep_as is not None:
                self._keep(keep_as, [(acct.id, frame)])
            columns = list(frame.columns)
            at = columns.index("ad_account_id") if "ad_account_id" in columns else 1
            parts.append(_with_account_columns(frame, acct, at=at))
        return _concat(parts)

    @_instance_method
    def assets(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the assets of one or more ad accounts: images, audio and video in one frame.

        Type-specific columns (``audio_type``, ``duration_ms``, ``aspect_ratio``, ``width``,
        ``height``, ``has_audio``, ``thumbnail_url``) are NA where the type has no such field
        (:func:`~adstudio_nb.frames.assets_frame`). ``filters`` as in the spec
        (``asset_types=["IMAGE"]``, ``statuses``, ``aspect_ratios``, ``name``).
        """
        # B3: oldest first, so assets uploaded while paging land after the pages already read.
        params = {"sort_field": "CREATED_AT", "sort_direction": "ASC", **filters}
        return self._account_listing(
            account, "assets", "assets", params, frames.assets_frame, _whole("assets", filters)
        )

    @_instance_method
    def audiences(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the audiences of one or more ad accounts (B3); ``filters`` as in the spec."""
        # Least recently updated first: an audience updated while paging moves to the end.
        params = {"sort_field": "UPDATED_AT", "sort_direction": "ASC", **filters}
        return self._account_listing(
            account,
            "audiences",
            "audiences",
            params,
            frames.audiences_frame,
            _whole("audiences", filters),
        )

    @_instance_method
    def campaign_drafts(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the draft campaigns (unpublished edits) of one or more ad accounts (B3)."""
        params = {"sort_field": "CREATED_AT", "sort_direction": "ASC", **filters}
        return self._account_listing(
            account,
            "drafts/campaigns",
            "campaign_drafts",
            params,
            frames.campaign_drafts_frame,
            _whole("campaign_drafts", filters),
        )

    @_instance_method
    def ad_set_drafts(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the draft ad sets of one or more ad accounts, as :meth:`ad_sets` shapes them."""
        return self._account_listing(
            account,
            "drafts/ad_sets",
            "ad_set_drafts",
            filters,
            frames.ad_set_drafts_frame,
            _whole("ad_set_drafts", filters),
        )

    @_instance_method
    def ad_drafts(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the draft ads of one or more ad accounts (B3)."""
        return self._account_listing(
            account,
            "drafts/ads",
            "ad_drafts",
            filters,
            frames.ad_drafts_frame,
            _whole("ad_drafts", filters),
        )

    @_instance_method
    def change_history(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return the change history of one or more ad accounts, one row per field change.

        Oldest first. ``filters`` as in the spec (``entity_type="AD_SET"``,
        ``change_category="BUDGET"``, ``created_gte="2026-01-01T00:00:00Z"``, ...); see
        :func:`~adstudio_nb.frames.change_history_frame` for the columns.
        """
        # B3: oldest first, so changes made while paging land after the pages already read.
        params = {"sort_field": "TIMESTAMP", "sort_direction": "ASC", **filters}
        return self._account_listing(
            account,
            "change_history",
            "change_history",
            params,
            frames.change_history_frame,
            _whole("change_history", filters),
        )

    @_instance_method
    def ad_account_members(self, account: Any) -> pd.DataFrame:
        """Return the members of one or more ad accounts, with their roles."""
        accounts = self._accounts(account)
        chunks = endpoints.ad_account_members_many(self.client, [a.id for a in accounts])
        return self._per_account(
            accounts, chunks, frames.ad_account_members_frame, "ad_account_members"
        )

    def _business_listing(
        self,
        business: Any,
        suffix: str,
        items_key: str,
        build: Callable[..., pd.DataFrame],
        *,
        paged: bool = False,
        params: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        ids = _business_ids(business) if business is not None else None
        if ids is None:
            ids = [str(b.get("id")) for b in endpoints.businesses(self.client) if b.get("id")]
        chunks = endpoints.business_listings(
            self.client, ids, suffix, items_key, params, paged=paged
        )
        parts = [build(items, business_id=b) for b, items in zip(ids, chunks, strict=True)]
        if not params:  # whole listings, kept for SQL and export (fetched each time)
            self._keep(items_key, list(zip(ids, parts, strict=True)))
        return _concat(parts) if parts else build([], business_id=None)

    @_instance_method
    def business_members(self, business: Any = None) -> pd.DataFrame:
        """Return the members of one or more businesses (all the user's by default)."""
        return self._business_listing(business, "members", "members", frames.business_members_frame)

    @_instance_method
    def invitations(self, business: Any = None) -> pd.DataFrame:
        """Return the pending invitations of one or more businesses, one row per ad account.

        Spotify shows invitations to business admins only: a business where the user is not
        an admin raises, so pass the businesses you administer (by default: all of them).

        Raises:
            APIError: a business answered 403 (you are not its admin).
        """
        return self._business_listing(
            business, "invitations", "business_invitations", frames.invitations_frame
        )

    @_instance_method
    def datasets(self, business: Any = None) -> pd.DataFrame:
        """Return the measurement datasets (pixel and Conversions API) of one or more businesses."""
        return self._business_listing(business, "datasets", "datasets", frames.datasets_frame)

    @_instance_method
    def pixels(self, business: Any = None) -> pd.DataFrame:
        """Return the pixels of one or more businesses (B3: paged by offset)."""
        return self._business_listing(business, "pixels", "pixels", frames.pixels_frame, paged=True)

    @_instance_method
    def mobile_apps(self, business: Any = None) -> pd.DataFrame:
        """Return the mobile apps of one or more businesses."""
        return self._business_listing(
            business, "mobile_apps", "mobile_apps", frames.mobile_apps_frame
        )

    @_instance_method
    def targets(
        self,
        kind: str,
        *,
        ids: Sequence[str] | None = None,
        q: str | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Return a targeting lookup as a frame: ``ads.targets("genres")``, by id or keyword.

        Args:
            kind: ``artists``, ``genres``, ``geos``, ``interests``, ``languages``,
                ``playlists``, ``episode_topics`` or ``sensitive_topics``.
            ids: only these entries.
            q: a keyword (part of the name, any case).
            **params: the lookup's other parameters as in the spec (geos:
                ``country_code="US"``, ``types=["CITY"]``, ``language="en"``).

        Raises:
            InvalidArgument: an unknown kind, or artists or geos without a query.
        """
        items = endpoints.target_lookup(self.client, kind, ids=ids, q=q, params=params)
        return frames.targets_frame(items, kind)

    @_instance_method
    def podcast_shows(
        self, *, market: str, q: str | None = None, ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Return podcast shows available in ``market`` (``"US"``), by keyword or id."""
        items = endpoints.podcast_shows(self.client, market=market, ids=ids, q=q)
        return frames.podcast_shows_frame(items)

    @_instance_method
    def ad_categories(self, q: str | None = None) -> pd.DataFrame:
        """Return the ad categories an ad set's ``category`` names, or those matching ``q``."""
        return frames.ad_categories_frame(endpoints.ad_categories(self.client, q))

    @_instance_method
    def ad_set_targets(self, account: Any, *, names: bool = True, **filters: Any) -> pd.DataFrame:
        """Return the targets of the ad sets of one or more accounts: one row per value.

        A long frame (:func:`~adstudio_nb.frames.ad_set_targets_frame`): ``ad_set_id``,
        the account columns, ``target_type`` (``GENRE``, ``AUDIENCE``, ``AGE_RANGE``, ...),
        ``value_id``, ``value_name``, ``value_min``/``value_max`` and ``filter_option``.

        Args:
            account: one or more ad accounts.
            names: look the values' display names up (genres, geos, audiences, ...: a few
                requests more); False leaves ``value_name`` NA.
            **filters: the ad set filters, as for :meth:`ad_sets`.
        """
        params = {"sort_field": "CREATED_AT", "sort_direction": "ASC", **filters}
        accounts = self._accounts(account)
        with self._progress(f"ad set targets of {len(accounts)} accounts", unit="ad sets") as bar:
            chunks = endpoints.list_objects_many(
                self.client, [a.id for a in accounts], "ad_sets", params, on_page=bar.update
            )
        plain = [frames.ad_set_targets_frame(items) for items in chunks]
        lookup: dict[tuple[str, str], str] = {}
        if names and any(len(p) for p in plain):
            wanted: dict[str, set[str]] = {}
            for part in plain:
                for kind, value in zip(part["target_type"], part["value_id"], strict=True):
                    if isinstance(value, str):
                        wanted.setdefault(str(kind), set()).add(value)
            lookup = endpoints.target_names(self.client, wanted)
            if wanted.keys() & {"AUDIENCE", "AUDIENCE_EXCLUSION"}:
                audiences = endpoints.list_objects_many(
                    self.client, [a.id for a in accounts], "audiences"
                )
                for audience in (x for chunk in audiences for x in chunk):
                    for kind in ("AUDIENCE", "AUDIENCE_EXCLUSION"):
                        if isinstance(audience.get("name"), str):
                            lookup[(kind, str(audience.get("id")))] = audience["name"]

        def build(items: Any, *, ad_account_id: str) -> pd.DataFrame:
            return frames.ad_set_targets_frame(
                items, ad_account_id=ad_account_id, names=lookup or None
            )

        return self._per_account(accounts, chunks, build, _whole("ad_set_targets", filters))

    @_instance_method
    def raw(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str | None = None,
        json_body: Any = None,
    ) -> Any:
        """Call any Ads API endpoint the toolkit does not wrap; get its JSON, every page of it.

        Paced under the rate limits, retried (429, 5xx, dropped connections), refreshed on
        401, errors typed as everywhere (B9-B11). A GET that pages is followed to the end and
        gives the list of all pages' items: offset paging (a ``paging`` object, or
        ``offset``/``page_size``; B3) or continuation tokens (B6), told apart by the first
        answer. Any other answer comes back as parsed JSON (:func:`~.endpoints.raw`).

        Args:
            method: ``GET`` (paged), or another method (sent once).
            path: below the API base, ids filled in; a full URL is refused so that the
                token never leaves the Ads API.
            params: query parameters (lists as repeated keys, B4).
            items_key: the key of the items when the answer holds several lists.
            json_body: the body of a method other than GET.

        Example:
            >>> members = ads.raw("GET", f"/businesses/{business_id}/members")  # doctest: +SKIP
            >>> len(members)  # every member, all pages  # doctest: +SKIP
            6
            >>> path = f"/ad_accounts/{account_id}/experiment_availability"  # doctest: +SKIP
            >>> ads.raw("GET", path)  # doctest: +SKIP
            {'ad_account_id': '27a7...', 'can_create_cls': True, ...}

        Raises:
            InvalidArgument: a full URL, an unfilled ``{placeholder}``, or a paged answer with
                several lists and no ``items_key``.
            APIError: the API's error, typed (``NotFound``, ``BadRequest``, ``RateLimited``).
            IncompleteResult: the pages could not all be read; ``items`` has what came.
        """
        return endpoints.raw(
            self.client, method, path, params, items_key=items_key, json_body=json_body
        )

    # -- export ------------------------------------------------------------------------------------

    @staticmethod
    def to_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
        """Write a frame to Parquet keeping its dtypes (:func:`~adstudio_nb.export.to_parquet`)."""
        return export.to_parquet(frame, path)

    @staticmethod
    def to_csv(frame: pd.DataFrame, path: str | Path) -> Path:
        """Write a frame to CSV with a dtype sidecar (:func:`~adstudio_nb.export.to_csv`)."""
        return export.to_csv(frame, path)

    @staticmethod
    def read_csv(path: str | Path) -> pd.DataFrame:
        """Read a CSV written by :meth:`to_csv` with its dtypes (:func:`~.export.read_csv`)."""
        return export.read_csv(path)


def _business_ids(value: Any) -> list[str]:
    """Read one or many businesses (an id, a row or dict with ``id``, a list, the frame).

    Raises:
        InvalidArgument: something that names no business.
    """
    if isinstance(value, pd.DataFrame):
        if "id" not in value.columns:
            raise InvalidArgument(
                "This frame has no 'id' column: pass ads.businesses() or some of its rows."
            )
        items: list[Any] = value["id"].tolist()
    elif isinstance(value, (list, tuple, set, frozenset, pd.Index)):
        items = list(value)
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        ident = item.get("id") if isinstance(item, (pd.Series, Mapping)) else item
        if not isinstance(ident, str) or not ident.strip():
            raise InvalidArgument(
                "Pass a business as its id, a row of ads.businesses(), a list of them or the "
                f"businesses frame; a {type(item).__name__} is none of these."
            )
        if ident not in out:
            out.append(ident)
    return out
