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
    """--seed makes the demo app's credentials reproducible."""
    from adstudio_nb.sandbox import Sandbox

    first, second, other = Sandbox(seed=5), Sandbox(seed=5), Sandbox(seed=6)
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
