"""The notebook-friendly layer: ``Ads`` gives DataFrames in one call, with progress bars.

This module owns the calls an analyst types in a notebook: :class:`Ads` (connect once, then
``ads.businesses()``, ``ads.ad_accounts()``, ``ads.campaigns(account)``, ``ads.report(...)``),
accepting an ad account as an id or as a row of ``ads.ad_accounts()``, and showing ``tqdm``
progress bars on long loads (closed on error, off with ``progress=False``).

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

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import endpoints, export, frames
from .client import AdsClient, StaticToken, TokenSource
from .exceptions import InvalidArgument

__all__ = ["DEFAULT_REPORT_FIELDS", "Ads", "account_id"]

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


def account_id(account: Any) -> str:
    """Return the ad account id of an id, a row of ``ads.ad_accounts()`` or an API object.

    Raises:
        InvalidArgument: nothing that looks like an ad account id.
    """
    if isinstance(account, str):
        return account
    if isinstance(account, (pd.Series, Mapping)):
        value = account.get("id")
    else:
        value = getattr(account, "id", None)
    if not value or not isinstance(value, str):
        raise InvalidArgument(
            "Pass an ad account as its id or as a row of ads.ad_accounts() (with an 'id')."
        )
    return value


class _Progress:
    """A thread-safe tqdm counter of pages and rows, closed however the load ends."""

    def __init__(self, enabled: bool, desc: str, unit: str) -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        self.pages = 0
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(desc=desc, unit=unit, leave=False)

    def update(self, rows: int) -> None:
        with self._lock:
            self.pages += 1
            if self._bar is not None:
                self._bar.set_postfix_str(f"{self.pages} pages", refresh=False)
                self._bar.update(rows)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


@contextmanager
def _progress(enabled: bool, desc: str, unit: str = "rows") -> Iterator[_Progress]:
    bar = _Progress(enabled, desc, unit)
    try:
        yield bar
    finally:  # closed on success and on error alike: no orphaned bar in the notebook
        bar.close()


class Ads:
    """Spotify's Ads API as typed DataFrames, for notebooks.

    Args:
        client: the API client (see :meth:`connect` and :meth:`from_token`).
        progress: show progress bars on long loads.
    """

    def __init__(self, client: AdsClient, *, progress: bool = True) -> None:
        self.client = client
        self.progress = progress

    @classmethod
    def connect(cls, settings: Any = None, *, progress: bool = True, **client_options: Any) -> Ads:
        """Connect with the configured settings and stored login (``config``, ``auth``).

        Args:
            settings: a ``config.Settings``; by default ``config.load_settings()`` (the
                embedded sandbox when nothing is configured).
            progress: show progress bars.
            **client_options: passed to :class:`~adstudio_nb.client.AdsClient`.

        Raises:
            AuthorizationRequired: nobody is logged in yet (log in with the onboarding panel).
        """
        # Imported here: this module must import even where the OAuth layer is not installed.
        from .auth import OAuthFlow
        from .config import load_settings

        settings = settings or load_settings()
        flow = OAuthFlow(settings)
        client = AdsClient(settings.api_base_url, flow, **client_options)
        return cls(client, progress=progress)

    @classmethod
    def from_token(
        cls,
        api_base_url: str,
        token: str | TokenSource,
        *,
        progress: bool = True,
        **client_options: Any,
    ) -> Ads:
        """Connect with an access token (or any token source) obtained elsewhere."""
        source = StaticToken(token) if isinstance(token, str) else token
        return cls(AdsClient(api_base_url, source, **client_options), progress=progress)

    def close(self) -> None:
        """Close the client's connections and threads."""
        self.client.close()

    def __enter__(self) -> Ads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ads {self.client.api_base_url}>"

    # -- accounts and objects (B1-B3) ------------------------------------------------------------

    def businesses(self) -> pd.DataFrame:
        """Return the current user's businesses (B1)."""
        return frames.businesses_frame(endpoints.businesses(self.client))

    def ad_accounts(self, business: Any = None) -> pd.DataFrame:
        """Return the ad accounts of one business, or of all the user's businesses (B1)."""
        if business is None:
            return frames.ad_accounts_frame(endpoints.all_ad_accounts(self.client))
        found = endpoints.business_ad_accounts(self.client, account_id(business))
        return frames.ad_accounts_frame(found)

    def ad_account(self, account: Any) -> pd.Series:
        """Return one ad account as a row (B1, B2)."""
        frame = frames.ad_accounts_frame([endpoints.ad_account(self.client, account_id(account))])
        return frame.iloc[0]

    def _objects(
        self,
        kind: str,
        account: Any,
        params: dict[str, Any],
        build: Callable[..., pd.DataFrame],
    ) -> pd.DataFrame:
        # B3: oldest first, so objects created while paging land after the pages already read.
        params = {"sort_field": "CREATED_AT", "sort_direction": "ASC", **params}
        if isinstance(account, pd.DataFrame) or (
            isinstance(account, (list, tuple)) and not isinstance(account, str)
        ):
            rows = account.itertuples() if isinstance(account, pd.DataFrame) else account
            ids = [account_id(a) for a in rows]
            with _progress(self.progress, f"{_KINDS[kind]} of {len(ids)} accounts") as bar:
                chunks = endpoints.list_objects_many(
                    self.client, ids, kind, params, on_page=bar.update
                )
            parts = [build(items, ad_account_id=a) for a, items in zip(ids, chunks, strict=True)]
            if not parts:
                return build([], ad_account_id=None)
            return pd.concat(parts, ignore_index=True)
        acct = account_id(account)
        with _progress(self.progress, f"{_KINDS[kind]} of {acct[:8]}", unit=_KINDS[kind]) as bar:
            items = endpoints.list_objects(self.client, acct, kind, params, on_page=bar.update)
        return build(items, ad_account_id=acct)

    def campaigns(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return an ad account's campaigns (B3); ``filters`` are the spec's query parameters.

        ``account`` may also be a frame or list of accounts: all their pages are then
        fetched side by side and the result concatenated in the accounts' order.
        """
        return self._objects("campaigns", account, filters, frames.campaigns_frame)

    def ad_sets(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return an ad account's ad sets, budgets in micros and currency units (B2, B3)."""
        return self._objects("ad_sets", account, filters, frames.ad_sets_frame)

    def ads(self, account: Any, **filters: Any) -> pd.DataFrame:
        """Return an ad account's ads (B3)."""
        return self._objects("ads", account, filters, frames.ads_frame)

    # -- reports (B5-B8) ---------------------------------------------------------------------------

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
    ) -> pd.DataFrame:
        """Return an aggregate report as a typed frame, one column per metric (B5-B7).

        Large reports are split into parts (50 ids per batch, windows Spotify accepts) and
        fetched side by side under the reporting rate limit (B11); rows come back ordered by
        entity, then start time.

        Args:
            account: an ad account id or row.
            level: ``AD_ACCOUNT``, ``CAMPAIGN``, ``AD_SET`` or ``AD``.
            fields: ``ReportFieldType`` metrics.
            start: first day (DAY), hour (HOUR) or day of the range; UTC.
            end: last day or hour, included (B5).
            granularity: ``DAY``, ``HOUR`` or ``LIFETIME``.
            entity_ids: only these entities (of ``level``).
            statuses: only entities with these statuses.
            include_parent: add the parent entity's id, name and status.
        """
        acct = account_id(account)
        fields = list(fields)
        builder = frames.ReportFrameBuilder(fields, include_parent=include_parent)
        with _progress(self.progress, f"{level.lower()} report", unit="rows") as bar:
            # The dates go as given: parsed and written once, by the report planner (B5).
            for page in endpoints.aggregate_report_pages(
                self.client,
                acct,
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
                on_page=bar.update,
            ):
                builder.add_page(page)
        return builder.frame(sort=True)

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
        """Return deduplicated totals over up to 50 entities: one row, or one per day (B8)."""
        body = endpoints.aggregate_totals(
            self.client,
            account_id(account),
            entity_type=level,
            entity_ids=list(entity_ids),
            fields=list(fields),
            granularity=granularity,
            start=start,
            end=end,
        )
        return frames.totals_frame(body, list(fields))

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
        body = endpoints.insight_report(
            self.client,
            account_id(account),
            dimension=dimension,
            fields=list(fields),
            entity_id=entity_id,
            entity_ids_type=entity_ids_type,
        )
        return frames.insights_frame(body, list(fields))

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
