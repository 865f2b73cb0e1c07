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
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import TokenStoreError
from adstudio_nb.token_store import FileTokenStore, MemoryTokenStore, Token, open_token_store
from tests.helpers import consent, zero_config_env

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
    with pytest.raises(TokenStoreError, match="not a regular file"):
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


# -- a token file that is not what it claims (hostile or clumsy surroundings) ---------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX owners, modes and O_NOFOLLOW")
as_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="giving a file to another user needs root"
)
NOBODY = 65534


def _valid_file(store: FileTokenStore, n: int = 1) -> bytes:
    """Return the bytes ``store`` writes for ``token(n)`` (saved and read back)."""
    store.save(token(n))
    return store.path.read_bytes()


def _assert_refused(store: FileTokenStore, *fragments: str) -> str:
    with pytest.raises(TokenStoreError) as info:
        store.load()
    message = str(info.value)
    assert "Traceback" not in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@posix_only
def test_a_symlink_at_the_token_path_is_refused_and_its_target_left_alone(tmp_path):
    """A link at the token path is not followed: neither read nor chmod'ed through."""
    store = file_store(tmp_path / "tokens")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(_valid_file(store))
    os.chmod(elsewhere, 0o644)
    store.path.unlink()
    store.path.symlink_to(elsewhere)
    _assert_refused(store, str(store.path), "symbolic link", "adstudio-nb logout --profile default")
    assert mode(elsewhere) == 0o644  # the link's target was not touched
    store.clear()  # the reset removes the link, never its target
    assert not store.path.is_symlink() and elsewhere.exists()


@as_root
def test_a_token_file_owned_by_another_user_is_refused(tmp_path):
    """Root can read anyone's file: the store itself compares the owner with the euid."""
    store = file_store(tmp_path / "tokens")
    store.save(token())
    os.chown(store.path, NOBODY, NOBODY)
    message = _assert_refused(store, str(store.path), "another user", "adstudio-nb logout")
    assert f"chown {os.geteuid()}" in message
    store.clear()  # the directory is ours: the reset the message names works
    assert store.load() is None


@as_root
def test_a_token_directory_owned_by_another_user_is_refused(tmp_path):
    directory = tmp_path / "tokens"
    store = file_store(directory)
    store.save(token())
    os.chown(directory, NOBODY, NOBODY)
    message = _assert_refused(store, str(directory), "another user", "ADSTUDIO_TOKEN_DIR")
    assert f"chown {os.geteuid()}" in message
    with pytest.raises(TokenStoreError, match="another user"):
        store.save(token(2))  # nor is a token written there


@posix_only
def test_a_token_file_writable_by_others_is_refused_with_the_chmod(tmp_path):
    store = file_store(tmp_path / "tokens")
    store.save(token())
    os.chmod(store.path, 0o666)  # noqa: S103 (the loose mode under test)
    _assert_refused(store, str(store.path), "written by other users", f"chmod 600 {store.path}")
    assert mode(store.path) == 0o666  # refused, not silently "fixed" and used
    os.chmod(store.path, 0o600)  # the fix the message names
    assert store.load() == token()


@posix_only
def test_a_world_writable_token_directory_is_refused_with_the_chmod(tmp_path):
    directory = tmp_path / "tokens"
    store = file_store(directory)
    store.save(token())
    os.chmod(directory, 0o777)  # noqa: S103 (the loose mode under test)
    _assert_refused(store, str(directory), "written by other users", f"chmod 700 {directory}")
    with pytest.raises(TokenStoreError, match="chmod 700"):
        store.save(token(2))
    os.chmod(directory, 0o700)
    assert store.load() == token()


@posix_only
def test_a_fifo_at_the_token_path_does_not_block(tmp_path):
    """A FIFO is opened without blocking and refused as not a regular file."""
    store = file_store(tmp_path / "tokens")
    store.directory.mkdir(mode=0o700)
    os.mkfifo(store.path, 0o600)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            store.load()
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # blocked in open(): release it so that the thread can end
        fd = os.open(store.path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        reader.join(30)
        pytest.fail("load() blocked on a FIFO at the token path")
    assert len(outcome) == 1 and isinstance(outcome[0], TokenStoreError)
    assert "not a regular file" in str(outcome[0]) and str(store.path) in str(outcome[0])


@posix_only
def test_a_directory_at_the_token_path_is_refused(tmp_path):
    store = file_store(tmp_path)
    store.path.mkdir(parents=True)
    _assert_refused(store, str(store.path), "not a regular file")


def test_an_oversized_token_file_is_refused_unread(tmp_path):
    """A token file is under 4 KiB; 200 KiB of valid JSON is refused by its size alone."""
    store = file_store(tmp_path / "tokens")
    padded = _valid_file(store).rstrip(b"}") + b" " * 200_000 + b"}"
    store.path.write_bytes(padded)
    assert json.loads(padded)["token"]["access_token"] == "BQ-access-1"  # valid, only big
    _assert_refused(store, str(store.path), "bytes", "adstudio-nb logout --profile default")


def test_a_sparse_gibibyte_token_file_is_refused_by_its_size(tmp_path):
    store = file_store(tmp_path / "tokens")
    store.save(token())
    with open(store.path, "r+b") as handle:
        handle.truncate(1 << 30)  # sparse: no disk used, 1 GiB to read for a naive reader
    _assert_refused(store, str(store.path), "1073741824 bytes")


def _stored(store: FileTokenStore, **changes: Any) -> dict[str, Any]:
    data = json.loads(_valid_file(store))
    data["token"].update(changes.pop("token", {}))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "damage",
    [
        "deep-array",
        "deep-object",
        "huge-int",
        "nan",
        "year-9999",
        "year-9999-expiry",
        "year-1-offset",
        "version-true",
        "version-text",
        "token-list",
        "expires-number",
        "refresh-number",
        "token-url-nested",
    ],
)
def test_every_damaged_content_is_a_typed_error_naming_the_file_and_the_reset(tmp_path, damage):
    """Nesting, huge numbers, times out of range and wrong types: TokenStoreError, no traceback."""
    store = file_store(tmp_path / "tokens", "work")
    data = _stored(store)
    text = {
        "deep-array": '{"version": 1, "token": ' + "[" * 30_000 + "]" * 30_000 + "}",
        "deep-object": '{"version": 1, "token": ' + '{"a": ' * 15_000 + "1" + "}" * 15_001,
        "huge-int": json.dumps(data).replace('"version": 1', '"version": 1' + "0" * 4000),
        "nan": json.dumps(data).replace('"version": 1', '"version": NaN'),
        "year-9999": json.dumps(_stored(store, token={"authorized_at": "9999-12-31T00:00:00Z"})),
        "year-9999-expiry": json.dumps(_stored(store, token={"expires_at": "9999-12-31T23:59Z"})),
        "year-1-offset": json.dumps(
            _stored(store, token={"expires_at": "0001-01-01T00:00:00+01:00"})
        ),
        "version-true": json.dumps(_stored(store, version=True)),
        "version-text": json.dumps(_stored(store, version="1")),
        "token-list": json.dumps({**data, "token": ["BQ-access-1"]}),
        "expires-number": json.dumps(_stored(store, token={"expires_at": 1e308})),
        "refresh-number": json.dumps(_stored(store, token={"refresh_token": 10**30})),
        "token-url-nested": json.dumps(_stored(store, token_url=[[[[[TOKEN_URL]]]]])),
    }[damage]
    store.path.write_text(text)
    message = _assert_refused(store, str(store.path), "adstudio-nb logout --profile work")
    assert "BQ-access-1" not in message and "AQ-refresh-1" not in message


def test_stored_times_round_trip_within_the_accepted_range():
    far = Token("BQ-a", "AQ-r", datetime(2999, 1, 1, tzinfo=UTC), datetime(2998, 6, 1))
    assert Token.from_dict(far.to_dict()) == far
    assert far.refresh_expires_at.year == 2998


@posix_only
def test_status_shows_the_typed_message_for_a_damaged_file_not_a_traceback(tmp_path):
    """`adstudio-nb status` with a damaged token file: one line saying what to do, exit 1."""
    env = zero_config_env(tmp_path)
    env["ADSTUDIO_CLIENT_ID"] = CLIENT_ID  # real Spotify settings: tokens live in files
    store = FileTokenStore(Path(env["XDG_CONFIG_HOME"]) / "adstudio_nb" / "tokens")
    store.directory.mkdir(parents=True, mode=0o700)
    store.path.write_text('{"version": 1, "token": ' + "[" * 30_000 + "]" * 30_000 + "}")
    os.chmod(store.path, 0o600)
    done = subprocess.run(
        [sys.executable, "-m", "adstudio_nb.cli", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert done.stderr.startswith("adstudio-nb: The token file ")
    assert str(store.path) in done.stderr and "adstudio-nb logout --profile default" in done.stderr


@posix_only
def test_status_with_a_far_future_time_shows_the_typed_message(tmp_path):
    env = zero_config_env(tmp_path)
    env["ADSTUDIO_CLIENT_ID"] = CLIENT_ID
    directory = Path(env["XDG_CONFIG_HOME"]) / "adstudio_nb" / "tokens"
    writer = FileTokenStore(directory, client_id=CLIENT_ID, token_url=TOKEN_URL)
    writer.save(Token("BQ-access-1", "AQ-refresh-1", NOW, NOW))
    data = json.loads(writer.path.read_text())
    data["token"]["authorized_at"] = "9999-12-31T00:00:00Z"
    writer.path.write_text(json.dumps(data))
    done = subprocess.run(
        [sys.executable, "-m", "adstudio_nb.cli", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr and "OverflowError" not in done.stderr
    assert str(writer.path) in done.stderr and "adstudio-nb logout" in done.stderr


@posix_only
def test_parents_0700_and_lock_file_0600_under_umask_000(tmp_path):
    old = os.umask(0)
    try:
        store = file_store(tmp_path / "a" / "b" / "tokens")
        store.save(token())
        with store.locked():
            pass
    finally:
        os.umask(old)
    for created in (tmp_path / "a", tmp_path / "a" / "b", store.directory):
        assert mode(created) == 0o700, created
    assert mode(store.path) == 0o600
    lock = store.directory / "default.json.lock"
    assert lock.exists() and mode(lock) == 0o600


@posix_only
def test_a_loose_lock_file_left_behind_is_tightened(tmp_path):
    store = file_store(tmp_path / "tokens")
    store.save(token())
    lock = store.directory / "default.json.lock"
    os.chmod(lock, 0o666)  # noqa: S103 (as an older version under umask 000 left it)
    store.save(token(2))
    assert mode(lock) == 0o600


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


def test_a_failed_save_shows_no_token_in_a_verbose_traceback(tmp_path, monkeypatch):
    """Secrets: a save that fails leaves no token in the frame locals a traceback prints."""
    import traceback

    from IPython.core.ultratb import VerboseTB

    store = file_store(tmp_path / "tokens")
    secret = Token("BQ-access-" + "v" * 40, "AQ-refresh-" + "w" * 40, NOW, NOW)

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(TokenStoreError) as caught:
        store.save(secret)
    texts = [
        "".join(
            traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
        ),
        VerboseTB(theme_name="nocolor", include_vars=True).text(
            caught.type, caught.value, caught.tb
        ),
    ]
    for text in texts:
        assert "No space left" in text
        assert secret.access_token not in text and secret.refresh_token not in text
