"""The ``adstudio-nb`` command runs the sandbox stand-alone."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from adstudio_nb.cli import main
from tests.conftest import REPO_ROOT
from tests.helpers import consent, issued_secrets, revoke_in_dashboard, zero_config_env


def test_sandbox_command_serves_and_prints_urls_and_demo_credentials(tmp_path) -> None:
    """`adstudio-nb sandbox` prints the URLs and demo app, serves until SIGTERM.

    It announces itself to the commands of this computer (a private runtime directory here):
    `status` finds it, `sandbox --stop` leaves a sandbox running in a terminal alone, and the
    announcement is gone once it stops.
    """
    env = zero_config_env(tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adstudio_nb.cli",
            "sandbox",
            "--port",
            "0",
            "--seed",
            "3",
            "--register-app",
            "Second app",
            "--redirect-uri",
            "https://example.com/cb",
            "--rotate-refresh-tokens",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        base = re.search(r"running at (http://127\.0\.0\.1:\d+)", text)
        assert base, text
        assert "client id" in text and "client secret" in text
        assert "Registered app 'Second app'" in text
        page = requests.get(base.group(1) + "/", timeout=10)
        assert page.status_code == 200
        status = _cli(env, "status")
        assert status.returncode == 1 and "Not logged in" in status.stdout, status.stderr
        assert "started" not in status.stderr  # it used that sandbox, started none
        stop = _cli(env, "sandbox", "--stop")
        assert stop.returncode == 1 and "runs in a terminal" in stop.stderr
        assert _runtime_file(tmp_path).exists()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close() if process.stdout else None
        process.stderr.close() if process.stderr else None
    assert not _runtime_file(tmp_path).exists()


def test_same_seed_gives_the_same_demo_credentials() -> None:
    """--seed makes the demo app's credentials reproducible (its secret only when fixed)."""
    from adstudio_nb.sandbox import Sandbox

    first, second = Sandbox(seed=5, fixed_secrets=True), Sandbox(seed=5, fixed_secrets=True)
    other = Sandbox(seed=6)
    assert first.demo_app.client_id == second.demo_app.client_id
    assert first.demo_app.client_secret == second.demo_app.client_secret
    assert first.demo_app.client_id != other.demo_app.client_id


def test_bad_fault_spec_is_a_clear_error(capsys) -> None:
    """A nonsense --faults value says how to write one."""
    try:
        main(["sandbox", "--faults", "boom"])
    except SystemExit as exc:
        assert "rate=0.2" in str(exc)
    else:
        raise AssertionError("expected a usage error")


def test_register_app_with_localhost_is_refused(capsys) -> None:
    """A12: the CLI refuses to register localhost and says why."""
    code = main(["sandbox", "--register-app", "x", "--redirect-uri", "http://localhost:1/cb"])
    assert code == 2
    assert "localhost" in capsys.readouterr().err


def _cli_env(sandbox, tmp_path) -> dict[str, str]:
    """A stand-alone sandbox (as `make demo` runs it) and private token directory."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADSTUDIO_")}
    (tmp_path / "empty.env").write_text("")
    env.update(
        ADSTUDIO_SANDBOX_URL=sandbox.base_url,
        ADSTUDIO_ENV_FILE=str(tmp_path / "empty.env"),
        ADSTUDIO_TOKEN_DIR=str(tmp_path / "tokens"),
    )
    return env


def _cli(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adstudio_nb.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a1_a7_login_by_listener_then_status_accounts_logout(sandbox, tmp_path) -> None:
    """A1-A7, B1: `login` catches the redirect; `status`, `accounts --json`, `logout` follow."""
    import json

    env = _cli_env(sandbox, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "adstudio_nb.cli", "login", "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        url = lines[1].strip()
        assert url.startswith(sandbox.authorize_url), lines
        requests.get(consent(url), timeout=10)  # the browser following the redirect
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Logged in" in out
    finally:
        if process.poll() is None:
            process.kill()
    status = _cli(env, "status")
    assert status.returncode == 0 and "Logged in" in status.stdout
    accounts = _cli(env, "accounts", "--json")
    assert accounts.returncode == 0, accounts.stderr
    assert len(json.loads(accounts.stdout)) == 8
    table = _cli(env, "accounts")
    assert "currency_code" in table.stdout
    issued = list(sandbox.registry._access_tokens)  # no token is printed anywhere
    for done in (status, accounts, table):
        assert not any(token in done.stdout + done.stderr for token in issued)
    assert _cli(env, "logout").returncode == 0
    after = _cli(env, "status")
    assert after.returncode == 1 and "Not logged in" in after.stdout
    refused = _cli(env, "accounts")
    assert refused.returncode == 1 and "log" in refused.stderr.lower()


def test_a3_login_by_paste_and_a_denied_paste(sandbox, tmp_path) -> None:
    """A3: `login --paste` reads the address-bar URL; Cancel is explained, exit 1."""
    env = _cli_env(sandbox, tmp_path)
    for approve, code in ((False, 1), (True, 0)):
        process = subprocess.Popen(
            [sys.executable, "-m", "adstudio_nb.cli", "login", "--paste", "--no-browser"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        url = [process.stdout.readline(), process.stdout.readline()][1].strip()
        out, err = process.communicate(consent(url, approve=approve) + "\n", timeout=30)
        assert process.returncode == code, err
        if not approve:
            assert "You clicked Cancel" in err
        else:
            assert "Logged in" in out


def test_status_and_login_announce_a_custom_target(sandbox, tmp_path) -> None:
    """A custom target (chosen in the environment) is named in `status` and `login` output."""
    env = _cli_env(sandbox, tmp_path)
    del env["ADSTUDIO_SANDBOX_URL"]
    app = sandbox.demo_app
    env.update(
        ADSTUDIO_TARGET="custom",
        ADSTUDIO_CLIENT_ID=app.client_id,
        ADSTUDIO_CLIENT_SECRET=app.client_secret,
        ADSTUDIO_REDIRECT_URI="http://127.0.0.1/callback",
        ADSTUDIO_AUTHORIZE_URL=sandbox.authorize_url,
        ADSTUDIO_TOKEN_URL=sandbox.token_url,
        ADSTUDIO_API_BASE_URL=sandbox.api_base_url,
    )
    banner = f"Custom target: credentials go to {sandbox.base_url}, not to Spotify."
    status = _cli(env, "status")
    assert status.returncode == 1 and banner in status.stdout + status.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "adstudio_nb.cli", "login", "--paste", "--no-browser"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    url = lines[1].strip()
    assert url.startswith(sandbox.authorize_url), lines
    out, err = process.communicate(consent(url) + "\n", timeout=30)
    assert process.returncode == 0, err
    assert banner in "".join(lines) + out + err and "Logged in" in out
    for shown in (status.stdout, status.stderr, out, err):
        assert app.client_secret not in shown
    spotify = _cli({**_cli_env(sandbox, tmp_path), "ADSTUDIO_CLIENT_ID": "a" * 32}, "status")
    assert "Custom target" not in spotify.stdout + spotify.stderr


# -- the commands render the one session state -----------------------------------------------------


@pytest.fixture
def cli_here(sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run `main()` in this process against ``sandbox`` (as a stand-alone one), private tokens."""
    for name in [n for n in os.environ if n.startswith("ADSTUDIO_")]:
        monkeypatch.delenv(name)
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ADSTUDIO_SANDBOX_URL", sandbox.base_url)
    monkeypatch.setenv("ADSTUDIO_ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.setenv("ADSTUDIO_TOKEN_DIR", str(tmp_path / "tokens"))
    return tmp_path


def test_status_and_accounts_say_not_logged_in_in_a_terminals_words(cli_here, capsys) -> None:
    """Nobody logged in: one sentence with the command that logs in, no notebook wording."""
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "Not logged in: run `adstudio-nb login` first." in out
    assert "Not logged in yet" not in out and "login link" not in out
    assert main(["accounts"]) == 1
    assert capsys.readouterr().err == "adstudio-nb: Not logged in: run `adstudio-nb login` first.\n"


def test_status_names_who_is_logged_in_as_the_session_sees_it(sandbox, cli_here, capsys) -> None:
    """A login made elsewhere into the same store (a notebook's) is what `status` shows."""
    from adstudio_nb.config import load_settings
    from adstudio_nb.session import Session

    session = Session(load_settings())
    try:
        session.demo_login("alex.analyst")
        expected = session.view.message
    finally:
        session.close()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert expected in out and expected.startswith("Logged in as Alex Analyst (alex.analyst)")
    assert not [secret for secret in issued_secrets(sandbox) if secret in out]


def test_a9_a_login_revoked_in_the_dashboard_is_told_with_the_command(
    sandbox, cli_here, capsys
) -> None:
    """A9: `accounts` after a revocation says Spotify revoked it and which command logs in."""
    from adstudio_nb.config import load_settings
    from adstudio_nb.session import Session

    session = Session(load_settings())
    try:
        session.demo_login("alex.analyst")
    finally:
        session.close()
    assert revoke_in_dashboard(sandbox, sandbox.demo_app.client_id).status_code == 200
    assert main(["accounts"]) == 1
    err = capsys.readouterr().err
    assert "revoked" in err and err.rstrip().endswith("Log in with `adstudio-nb login`.")
    assert "button" not in err and "login link" not in err


def test_a3_cancel_caught_by_the_listener_says_which_command_logs_in(sandbox, tmp_path) -> None:
    """A3: Cancel in the browser ends `login` with exit 1, the reason and the command."""
    env = _cli_env(sandbox, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "adstudio_nb.cli", "login", "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = [process.stdout.readline(), process.stdout.readline()][1].strip()
        requests.get(consent(url, approve=False), timeout=10)  # the browser on the redirect
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out + err
    assert "You clicked Cancel" in err and "Run `adstudio-nb login` again." in err
    assert _cli(env, "status").returncode == 1


def test_a_listener_that_times_out_hands_over_to_a_paste_of_a_fresh_link(sandbox, tmp_path) -> None:
    """Nobody came back in time: `login` offers a fresh link to paste, and that login works."""
    env = _cli_env(sandbox, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "adstudio_nb.cli", "login", "--no-browser", "--timeout-s", "1"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        first, fresh = lines[1].strip(), lines[4].strip()
        assert "No login arrived within 1 s" in lines[3], lines
        assert fresh.startswith(sandbox.authorize_url) and fresh != first
        out, err = process.communicate(consent(fresh) + "\n", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Logged in as Alex Analyst (alex.analyst)" in out


# -- zero configuration: separate commands share one background sandbox ---------------------------

_ID = re.compile(r"\b[A-D]\d{1,2}\b")


def _runtime_file(root: Path) -> Path:
    return root / "run" / "adstudio_nb" / "sandbox.json"


@pytest.fixture
def zero_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """No configuration at all, private directories; stops any sandbox left in the background."""
    env = zero_config_env(tmp_path)
    yield env
    announced = _runtime_file(tmp_path)
    if announced.exists():
        _cli(env, "sandbox", "--stop")
    if announced.exists():  # the command failed: end the process it names (ours)
        with contextlib.suppress(ProcessLookupError, ValueError, OSError):
            os.kill(int(json.loads(announced.read_text())["pid"]), signal.SIGTERM)


def _paste_login(env: dict[str, str], *, user: str = "alex.analyst") -> tuple[str, str]:
    """Run `login --paste`, play the person as ``user``; return its stdout and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "adstudio_nb.cli", "login", "--paste", "--no-browser"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    url = lines[1].strip()
    assert url.startswith("http://127.0.0.1:"), lines
    out, err = process.communicate(consent(url, user=user) + "\n", timeout=60)
    assert process.returncode == 0, err
    return "".join(lines) + out, err


def test_zero_configuration_login_status_accounts_logout_as_separate_commands(
    zero_env, tmp_path
) -> None:
    """With nothing configured, `login --paste`, `status`, `accounts`, `logout` work in turn.

    No sandbox runs at first: `status` says so without starting one; `login` starts one in
    the background and says so; the next commands find it (its tokens are that sandbox run's,
    in files) and speak a terminal's language.
    """
    first = _cli(zero_env, "status")
    assert first.returncode == 1 and "no sandbox is running" in first.stdout
    assert "adstudio-nb login" in first.stdout and not _runtime_file(tmp_path).exists()

    out, err = _paste_login(zero_env)
    assert "started one in the background" in err and "adstudio-nb sandbox --stop" in err
    assert "Logged in" in out
    announced = json.loads(_runtime_file(tmp_path).read_text())
    assert (_runtime_file(tmp_path).stat().st_mode & 0o777) == 0o600

    status = _cli(zero_env, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Logged in as" in status.stdout and "alex.analyst" in status.stdout
    assert "started" not in status.stderr
    accounts = _cli(zero_env, "accounts", "--json")
    assert accounts.returncode == 0, accounts.stderr
    assert len(json.loads(accounts.stdout)) == 8
    table = _cli(zero_env, "accounts")
    assert table.returncode == 0 and "currency_code" in table.stdout
    tokens = list((tmp_path / "xdg" / "adstudio_nb" / "tokens").iterdir())
    assert [p.name for p in tokens if p.suffix == ".json"] == [
        f"sandbox-{announced['instance_id']}.json"
    ]

    assert _cli(zero_env, "logout").returncode == 0
    after = _cli(zero_env, "status")
    assert after.returncode == 1 and "Not logged in: run `adstudio-nb login`" in after.stdout
    refused = _cli(zero_env, "accounts")
    assert refused.returncode == 1 and "`adstudio-nb login`" in refused.stderr
    for done in (first, status, accounts, table, after, refused):
        shown = done.stdout + done.stderr
        assert "button" not in shown and "Open Spotify login" not in shown
        assert not _ID.search(shown)

    stop = _cli(zero_env, "sandbox", "--stop")
    assert stop.returncode == 0 and "Stopped the sandbox" in stop.stdout
    assert not _runtime_file(tmp_path).exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(announced["url"] + "/", timeout=5)


def test_a_user_without_ad_accounts_is_told_so_not_shown_an_empty_table(zero_env) -> None:
    """nina.newcomer has no ad account: `accounts` says so; --json stays valid JSON."""
    _paste_login(zero_env, user="nina.newcomer")
    table = _cli(zero_env, "accounts")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("No ad accounts") and "currency_code" not in table.stdout
    as_json = _cli(zero_env, "accounts", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []
    assert "No ad accounts" in as_json.stderr


def test_sandbox_detach_runs_one_background_sandbox_for_all_commands(zero_env, tmp_path) -> None:
    """`adstudio-nb sandbox --detach` starts it once; a second call finds it; --stop ends it."""
    started = _cli(zero_env, "sandbox", "--detach", "--seed", "3")
    assert started.returncode == 0 and "running in the background" in started.stdout
    url = json.loads(_runtime_file(tmp_path).read_text())["url"]
    assert url in started.stdout and "client secret" not in started.stdout
    again = _cli(zero_env, "sandbox", "--detach")
    assert again.returncode == 0 and f"already runs at {url}" in again.stdout
    status = _cli(zero_env, "status")
    assert status.returncode == 1 and "no sandbox is running" not in status.stdout
    assert _cli(zero_env, "sandbox", "--stop").returncode == 0
    assert _cli(zero_env, "sandbox", "--stop").stdout.strip() == "No sandbox is running."


# -- make demo serves working copies: the committed notebooks stay clean --------------------------


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_make_demo_saves_into_a_working_copy_and_git_stays_clean(tmp_path) -> None:
    """JupyterLab saving a run notebook (outputs, widget state) leaves notebooks/ untouched.

    Uses what `adstudio-nb demo` runs: its workspace preparation and its JupyterLab command's
    root directory, with Jupyter's own contents manager doing the save.
    """
    import nbformat
    from jupyter_server.services.contents.filemanager import FileContentsManager

    from adstudio_nb.cli import lab_command, prepare_workspace

    notebooks = REPO_ROOT / "notebooks"
    before = _git("status", "--porcelain", "notebooks/")
    workspace = tmp_path / "work"
    assert prepare_workspace(notebooks, workspace) == []
    command = lab_command(workspace, "01_onboarding.ipynb", port=8888)
    root = Path(next(a for a in command if a.startswith("--ServerApp.root_dir=")).split("=", 1)[1])
    assert root == workspace.resolve() and notebooks.resolve() not in (root, *root.parents)
    assert "--LabApp.default_url=/lab/tree/01_onboarding.ipynb" in command

    contents = FileContentsManager(root_dir=str(root))
    model = contents.get("01_onboarding.ipynb")
    notebook = nbformat.from_dict(model["content"])
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    code.execution_count = 1
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    contents.save({"type": "notebook", "format": "json", "content": notebook}, model["path"])

    saved = nbformat.read(workspace / "01_onboarding.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in saved.cells)  # the save did land: in the copy
    assert _git("status", "--porcelain", "notebooks/") == before
    nbstripout = Path(sys.executable).with_name("nbstripout")
    verify = subprocess.run(
        [str(nbstripout), "--verify", *sorted(str(p) for p in notebooks.glob("*.ipynb"))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_make_demo_keeps_an_edited_copy_and_says_so(tmp_path) -> None:
    """A copy the user changed is never overwritten: a changed original is announced instead."""
    from adstudio_nb.cli import prepare_workspace

    source, workspace = tmp_path / "notebooks", tmp_path / "work"
    source.mkdir()
    (source / "a.ipynb").write_text('{"v": 1}')
    assert prepare_workspace(source, workspace) == []
    (workspace / "a.ipynb").write_text('{"v": 1, "mine": true}')
    assert prepare_workspace(source, workspace) == []  # same original: nothing to say
    (source / "a.ipynb").write_text('{"v": 2}')
    notes = prepare_workspace(source, workspace)
    assert len(notes) == 1 and "Kept your copy" in notes[0] and "Delete" in notes[0]
    assert (workspace / "a.ipynb").read_text() == '{"v": 1, "mine": true}'
    (workspace / "a.ipynb").unlink()
    assert prepare_workspace(source, workspace) == []
    assert (workspace / "a.ipynb").read_text() == '{"v": 2}'
    (source / "a.ipynb").write_text('{"v": 3}')  # an unchanged copy follows its original
    assert prepare_workspace(source, workspace) == []
    assert (workspace / "a.ipynb").read_text() == '{"v": 3}'


# -- the checks never read `make demo`'s working copies -------------------------------------------

WORK = REPO_ROOT / "work"


@pytest.fixture
def demo_workspace() -> Iterator[tuple[Path, Path]]:
    """``work/`` as `make demo` leaves it: a run notebook with outputs, a .py that fails lint.

    A ``work/`` of the user's is left as it was: only the planted files are removed.
    """
    import uuid

    import nbformat

    existed = WORK.exists()
    WORK.mkdir(exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    notebook_path, module_path = WORK / f"run-{tag}.ipynb", WORK / f"test_scratch_{tag}.py"
    try:
        notebook = nbformat.read(REPO_ROOT / "notebooks" / "01_onboarding.ipynb", as_version=4)
        for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
            cell.execution_count = number + 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
        nbformat.write(notebook, notebook_path)
        module_path.write_text("import os,sys\ndef test_fails():\n  assert eval('0')\n")
        yield notebook_path, module_path
    finally:
        notebook_path.unlink(missing_ok=True)
        module_path.unlink(missing_ok=True)
        if not existed:
            shutil.rmtree(WORK, ignore_errors=True)


def _make_lint_commands() -> list[list[str]]:
    """The Makefile's `lint` commands (mypy aside: it checks only the package, by its config)."""
    import glob
    import shlex

    venv = str(Path(sys.executable).parent.parent)
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has no lint target"
    commands = []
    for line in recipe.group(1).splitlines():
        words = shlex.split(line.strip().replace("$(VENV)", venv))
        if Path(words[0]).name == "mypy":
            continue
        expanded = []
        for word in words:
            if "*" in word:
                expanded += sorted(
                    str(Path(p).relative_to(REPO_ROOT)) for p in glob.glob(str(REPO_ROOT / word))
                )
            else:
                expanded.append(word)
        commands.append(expanded)
    return commands


def test_make_lint_and_the_test_run_pass_beside_make_demos_work_directory(
    demo_workspace: tuple[Path, Path],
) -> None:
    """After `make demo`, `make lint` and `make test` do not read ``work/``.

    The planted files would fail: nbstripout and ruff find them when asked about them.
    """
    notebook_path, module_path = demo_workspace
    nbstripout = str(Path(sys.executable).with_name("nbstripout"))
    ruff = str(Path(sys.executable).with_name("ruff"))
    run = dict(cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert subprocess.run([nbstripout, "--verify", str(notebook_path)], **run).returncode != 0
    assert subprocess.run([ruff, "check", str(module_path)], **run).returncode != 0

    commands = _make_lint_commands()
    assert {Path(c[0]).name for c in commands} == {"ruff", "nbstripout"}
    for command in commands:
        done = subprocess.run(command, **run)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        assert "work/" not in done.stdout + done.stderr

    # Without the .gitignore (a source archive, say), ruff's own settings still leave work/ out.
    listed = subprocess.run([ruff, "check", "--show-files", "--no-respect-gitignore", "."], **run)
    assert str(module_path) not in listed.stdout and str(REPO_ROOT / "tests") in listed.stdout
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], **run
    )
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert "tests/test_cli.py::" in collected.stdout and "work/" not in collected.stdout
