"""Token files: modes, atomic replacement, locking across processes (A8, A10)."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import TokenStoreError
from adstudio_nb.token_store import FileTokenStore, MemoryTokenStore, Token, open_token_store
from tests.helpers import consent

CLIENT_ID = "0123456789abcdef0123456789abcdef"
TOKEN_URL = "https://accounts.spotify.com/api/token"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def token(n: int = 1) -> Token:
    return Token(f"BQ-access-{n}", f"AQ-refresh-{n}", NOW + timedelta(hours=1), NOW)


def file_store(directory: Path, profile: str = "default") -> FileTokenStore:
    return FileTokenStore(directory, profile, client_id=CLIENT_ID, token_url=TOKEN_URL)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_and_clear(tmp_path):
    store = file_store(tmp_path / "tokens")
    assert store.load() is None
    store.save(token(1))
    assert store.load() == token(1)
    store.save(token(2))
    assert file_store(tmp_path / "tokens").load() == token(2)  # another object, same file
    store.clear()
    assert store.load() is None
    store.clear()  # nothing to clear: fine


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_directory_0700_and_file_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        store = file_store(tmp_path / "deep" / "tokens")
        store.save(token())
    finally:
        os.umask(old)
    assert mode(store.directory) == 0o700
    assert mode(store.path) == 0o600
    assert [p.name for p in store.directory.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_loose_modes_are_tightened(tmp_path):
    directory = tmp_path / "tokens"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)  # noqa: S103 (the loose mode under test)
    store = file_store(directory)
    store.save(token())
    assert mode(directory) == 0o700
    os.chmod(store.path, 0o644)
    assert store.load() == token()
    assert mode(store.path) == 0o600


def test_file_records_its_client_and_holds_no_extra_copies(tmp_path):
    store = file_store(tmp_path)
    store.save(token())
    data = json.loads(store.path.read_text())
    assert data["client_id"] == CLIENT_ID and data["token_url"] == TOKEN_URL
    assert data["profile"] == "default" and data["version"] == 1
    assert store.path.name == "default.json"
    assert "BQ-access-1" not in repr(store)


def test_default_directory_is_the_user_config_dir_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    store = FileTokenStore(profile="p")
    assert store.path == tmp_path / "xdg" / "adstudio_nb" / "tokens" / "p.json"
    store.save(token())
    assert not (tmp_path / "p.json").exists()


def test_profiles_live_side_by_side(tmp_path):
    a, b = file_store(tmp_path, "a"), file_store(tmp_path, "b")
    a.save(token(1))
    b.save(token(2))
    assert (a.load(), b.load()) == (token(1), token(2))


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b'{"version": 1, "token": {"access_token": 3}}', b"\xff\xfe"],
)
def test_a_damaged_file_names_itself_and_the_reset(tmp_path, content):
    store = file_store(tmp_path, "work")
    store.directory.mkdir(exist_ok=True)
    store.path.write_bytes(content)
    with pytest.raises(TokenStoreError) as info:
        store.load()
    message = str(info.value)
    assert str(store.path) in message and "adstudio-nb logout --profile work" in message
    assert info.value.path == str(store.path)


def test_a_foreign_file_is_refused(tmp_path):
    file_store(tmp_path).save(token())
    other = FileTokenStore(tmp_path, client_id="f" * 32, token_url=TOKEN_URL)
    with pytest.raises(TokenStoreError, match="another client id"):
        other.load()
    elsewhere = FileTokenStore(tmp_path, client_id=CLIENT_ID, token_url="http://127.0.0.1:1/t")
    with pytest.raises(TokenStoreError, match="another accounts service"):
        elsewhere.load()


def test_an_unreadable_file_is_a_token_store_error(tmp_path):
    store = file_store(tmp_path)
    store.path.mkdir(parents=True)  # a directory where the file should be: read fails
    with pytest.raises(TokenStoreError, match="Cannot read"):
        store.load()
    with pytest.raises(TokenStoreError, match="Cannot write"):
        store.save(token())


def test_memory_store_and_open_token_store(sandbox, tmp_path):
    memory = MemoryTokenStore()
    memory.save(token())
    with memory.locked(), memory.locked():  # re-entrant
        assert memory.load() == token()
    memory.clear()
    assert memory.load() is None and memory.location == "memory"

    in_process = Settings.for_sandbox(sandbox)
    assert open_token_store(in_process) is open_token_store(in_process)  # shared per process
    on_disk = Settings.for_sandbox(sandbox, token_storage="file", token_dir=tmp_path)
    store = open_token_store(on_disk)
    assert isinstance(store, FileTokenStore) and store.path == tmp_path / "sandbox.json"


# -- a process killed while saving (atomic replace) ------------------------------------------------

_SAVER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from adstudio_nb.token_store import FileTokenStore, Token
    store = FileTokenStore(sys.argv[1], "kill", client_id=sys.argv[2], token_url=sys.argv[3])
    now = datetime.now(UTC)
    i = 0
    while True:
        i += 1
        store.save(Token("BQ-%d-" % i + "x" * 20000, "AQ-%d" % i, now + timedelta(hours=1), now))
        if i == 1:
            print("saving", flush=True)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_sigkill_while_saving_leaves_the_old_or_the_new_token(tmp_path):
    store = FileTokenStore(tmp_path, "kill", client_id=CLIENT_ID, token_url=TOKEN_URL)
    store.save(token(0))
    rng = random.Random(7)
    for _ in range(6):  # 6 rounds of 5 savers: 30 kills
        savers = [
            subprocess.Popen(
                [sys.executable, "-c", _SAVER, str(tmp_path), CLIENT_ID, TOKEN_URL],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(5)
        ]
        for saver in savers:
            assert saver.stdout is not None
            assert saver.stdout.readline().strip() == "saving"
        for saver in savers:
            # Kill at random moments: mid-write, mid-fsync, mid-replace, or between saves.
            time.sleep(rng.random() * 0.02)
            saver.send_signal(signal.SIGKILL)
            saver.wait(10)
            assert saver.stdout is not None
            saver.stdout.close()
            loaded = store.load()  # never a broken file
            assert loaded is not None and loaded.access_token.startswith(("BQ-", "BQ-access-"))
            assert mode(store.path) == 0o600
    store.save(token(99))  # leftovers of killed savers are cleaned up on the next save
    assert [p for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    assert store.load() == token(99)


# -- two kernels refreshing at once (A8) ----------------------------------------------------------

_REFRESHER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from adstudio_nb.auth import OAuthFlow
    from adstudio_nb.config import Settings
    settings = Settings(**{**json.loads(sys.argv[1]), "token_dir": Path(sys.argv[2])})
    flow = OAuthFlow(settings)
    before = flow.token()  # this kernel has seen the current token
    print("ready", flush=True)
    sys.stdin.readline()
    after = flow.refresh()
    print(json.dumps({"before": before.fingerprint, "after": after.fingerprint}), flush=True)
    """
)


def test_two_processes_refreshing_at_once_spend_one_rotating_refresh_token_A8(
    sandbox, tmp_path, monkeypatch
):
    app = sandbox.register_app(
        "two kernels", redirect_uris=["http://127.0.0.1/callback"], rotate_refresh_tokens=True
    )
    fields: dict[str, Any] = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": "http://127.0.0.1/callback",
        "authorize_url": sandbox.authorize_url,
        "token_url": sandbox.token_url,
        "api_base_url": sandbox.api_base_url,
        "target": "sandbox",
        "profile": "race",
        "token_storage": "file",
    }
    settings = Settings(**fields, token_dir=tmp_path)
    flow = OAuthFlow(settings)
    request = flow.start_login()
    first = flow.complete_login(consent(request.url), request)

    refreshes: list[str] = []
    original = sandbox.registry.refresh

    def counting(*args: Any, **kwargs: Any) -> Any:
        refreshes.append(kwargs["refresh_token"])
        return original(*args, **kwargs)

    monkeypatch.setattr(sandbox.registry, "refresh", counting)
    kernels = [
        subprocess.Popen(
            [sys.executable, "-c", _REFRESHER, json.dumps(fields), str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for kernel in kernels:
        assert kernel.stdout is not None
        assert kernel.stdout.readline().strip() == "ready"
    for kernel in kernels:
        assert kernel.stdin is not None
        kernel.stdin.write("go\n")
        kernel.stdin.flush()
    answers = []
    for kernel in kernels:
        out, err = kernel.communicate(timeout=60)
        assert kernel.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))

    assert refreshes == [first.refresh_token]  # exactly one refresh request
    assert {a["before"] for a in answers} == {first.fingerprint}
    assert answers[0]["after"] == answers[1]["after"] != first.fingerprint
    stored = flow.store.load()
    assert stored is not None and stored.fingerprint == answers[0]["after"]
    assert stored.refresh_token != first.refresh_token  # the rotated one was kept (A8)
    assert flow.refresh().refresh_token  # and it still works for this process
