"""The session's store: connect() keeps what it fetches in a default store, per data source.

A report asked for again through ``connect()`` is answered from the store for the days it holds
(only the restatement window is fetched again, B5/B11), the store can be chosen or turned off
and the choice outlives a new login, Spotify's data never shares a store with the sandbox's or a
custom host's, and a default store that cannot be opened leaves reports working, with a warning.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from adstudio_nb import session as session_module
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import AuthorizationRequired, InvalidArgument, StoreError
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.session import Session, connect, default_store_of
from adstudio_nb.store import Store
from adstudio_nb.token_store import MemoryTokenStore

FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND"]


def _session(sandbox: Sandbox) -> Session:
    flow = OAuthFlow(
        Settings.for_sandbox(sandbox), store=MemoryTokenStore(), clock=sandbox.clock.now_datetime
    )
    session = Session(flow=flow, clock=sandbox.clock.now_datetime)
    session.demo_login("alex.analyst")
    return session


def _requests(ads: object) -> int:
    return int(ads.client.stats.snapshot()["requests"])  # type: ignore[attr-defined]


def test_b5_connect_keeps_reports_in_the_default_store_and_asks_only_the_last_days_again(
    sandbox: Sandbox, private_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """connect() has a store by default: the same report again costs only restatement pages."""
    session = _session(sandbox)
    monkeypatch.setattr(session_module, "_kernel_session", session)
    try:
        ads = connect()
        assert ads.store is not None
        assert ads.store.path == default_store_of(session.settings)
        assert ads.store.path.is_relative_to(private_data_dir)
        # The accounts' data is the user's alone: the directory made for it is 0700.
        assert ads.store.path.parent.stat().st_mode & 0o777 == 0o700
        account = ads.ad_accounts().iloc[[0]]
        today = sandbox.clock.now_datetime().date()
        window = {"start": today - timedelta(days=30), "end": today - timedelta(days=1)}
        before = _requests(ads)
        cold = ads.report(account, fields=FIELDS, method="aggregate", **window)
        cold_requests = _requests(ads) - before
        assert len(cold) > 0
        before = _requests(ads)
        warm = ads.report(account, fields=FIELDS, method="aggregate", **window)
        warm_requests = _requests(ads) - before
        # The restatement window (3 days) is fetched again, the 27 settled days are not.
        assert 0 < warm_requests < cold_requests
        by = ["entity_id", "start_time"]
        assert warm.sort_values(by, ignore_index=True).equals(
            cold.sort_values(by, ignore_index=True)
        )
        assert connect() is ads and ads.store is not None  # connect() again keeps the store
    finally:
        session.close()


def test_the_store_choice_is_kept_until_changed_even_across_a_new_login(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """False turns the store off, a path names one, True is the default again; a login keeps it."""
    session = _session(sandbox)
    try:
        assert session.ads().store is not None
        assert session.ads(store=False).store is None
        assert session.ads().store is None  # kept
        chosen = tmp_path / "mine" / "ads.duckdb"
        first = session.ads(store=chosen).store
        assert first is not None and first.path == chosen.resolve()
        assert session.ads(store=str(chosen)).store is first  # the same file: the same store
        session.forget()
        session.demo_login("alex.analyst")
        again = session.ads()  # a new Ads for the new login, with the same store file
        assert again.store is not None and again.store.path == chosen.resolve()
        assert session.ads(store=True).store.path == default_store_of(session.settings)  # type: ignore[union-attr]
        mine = Store(tmp_path / "given.duckdb")
        assert session.ads(store=mine).store is mine
        # A store that cannot be used leaves the one in use, now and for the next login.
        with pytest.raises(InvalidArgument, match="store must be"):
            session.ads(store=123)  # type: ignore[arg-type]
        assert session.ads().store is mine
        session.forget()
        session.demo_login("alex.analyst")
        with pytest.raises(StoreError, match="is a directory"):
            session.ads(store=tmp_path)  # the first call of the new login's Ads
        assert session.ads().store is mine
    finally:
        session.close()


def test_spotify_the_sandbox_and_a_custom_host_never_share_a_default_store(
    sandbox: Sandbox, private_data_dir: Path
) -> None:
    """The default store is per profile and data source: no other data answers for Spotify's."""
    spotify = Settings(client_id="0" * 32, client_secret="1" * 32, profile="work")
    stores = private_data_dir / "adstudio_nb" / "stores"
    assert default_store_of(spotify) == stores / "work.duckdb"
    sandboxed = Settings.for_sandbox(sandbox)
    custom = dataclasses.replace(
        spotify,
        target="custom",
        api_base_url="https://ads.example.test/v3",
        token_url="https://ads.example.test/api/token",
        authorize_url="https://ads.example.test/authorize",
    )
    paths = {
        default_store_of(spotify),
        default_store_of(sandboxed),
        default_store_of(custom),
    }
    with Sandbox(seed=1) as other_seed:
        paths.add(default_store_of(Settings.for_sandbox(other_seed)))
    assert len(paths) == 4 and all(p.is_relative_to(stores) for p in paths)
    # Another data source's store is in a directory of its own: no profile name reaches it.
    assert default_store_of(sandboxed).parent.parent == stores
    assert default_store_of(sandboxed).name == f"{sandboxed.profile}.duckdb"
    # The same sandbox data (its seed) on another port is the same store.
    with Sandbox(seed=0) as same_seed:
        assert default_store_of(Settings.for_sandbox(same_seed)) == default_store_of(sandboxed)


def test_a_default_store_that_cannot_be_opened_warns_and_reports_still_work(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory that cannot hold the store: a warning saying so, then no store."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the data directory would be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    session = _session(sandbox)
    try:
        with pytest.warns(RuntimeWarning, match="local store cannot be used") as caught:
            ads = session.ads()
        assert ads.store is None
        assert "connect(store=" in str(caught[0].message)
        assert not ads.ad_accounts().empty
        # A path the user names that cannot work is an error, not a warning.
        with pytest.raises(StoreError, match="cannot be created"):
            session.ads(store=blocked / "ads.duckdb")
        # That path is not kept as the choice: the next login's Ads still works.
        session.forget()
        session.demo_login("alex.analyst")
        with pytest.warns(RuntimeWarning, match="local store cannot be used"):
            assert session.ads().store is None
    finally:
        session.close()


def test_without_a_login_nothing_answers_even_from_the_store(
    sandbox: Sandbox,
) -> None:
    """After Forget, the Ads refuses even what its store holds, saying to log in, as the panels
    say; after the next login it answers as before."""
    session = _session(sandbox)
    try:
        ads = session.ads()
        account = ads.ad_accounts().iloc[[0]]
        today = sandbox.clock.now_datetime().date()
        window = {
            "fields": FIELDS,
            "start": today - timedelta(days=20),
            "end": today - timedelta(days=10),  # settled days: the store alone could answer
            "method": "aggregate",
        }
        kept = ads.report(account, **window)
        ads.campaigns(account)
        session.forget()
        for call in (
            lambda: ads.report(account, **window),
            lambda: ads.campaigns(account),
            ads.ad_accounts,
        ):
            with pytest.raises(AuthorizationRequired, match="log in"):
                call()
        assert not session.view.is_logged_in  # the panels say the same
        session.demo_login("alex.analyst")
        pd.testing.assert_frame_equal(session.ads().report(account, **window), kept)
    finally:
        session.close()
