"""The ``adstudio-nb`` command runs the sandbox stand-alone."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import requests

from adstudio_nb.cli import main


def test_sandbox_command_serves_and_prints_urls_and_demo_credentials() -> None:
    """`adstudio-nb sandbox` prints the URLs and demo app, serves until SIGTERM."""
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
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close() if process.stdout else None
        process.stderr.close() if process.stderr else None


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

    from tests.helpers import consent

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
    from tests.helpers import consent

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
    from tests.helpers import consent

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
