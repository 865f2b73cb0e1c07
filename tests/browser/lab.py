"""A JupyterLab server for browser tests: 127.0.0.1 only, a private root and configuration."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.conftest import REPO_ROOT
from tests.helpers import zero_config_env

__all__ = ["free_port", "jupyterlab", "open_and_run_all", "serve", "zero_config_env"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def jupyterlab(root: Path, notebooks: dict[str, str | Path], **settings: str) -> Iterator[str]:
    """Serve copies of notebooks (``{served name: repository name, or a notebook file}``) with
    JupyterLab on a free port; yield its base URL. Each served copy gets its own kernel."""
    work = root / "lab"
    work.mkdir()
    for served, name in notebooks.items():
        source = name if isinstance(name, Path) else REPO_ROOT / "notebooks" / name
        shutil.copy(source, work / served)
    env = {**zero_config_env(root), **settings}
    news = root / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={work}", "--IdentityProvider.token=", "--ServerApp.password=",
    ]  # fmt: skip
    with serve(command, env=env, port=port, log_path=root / "lab.log", ready_path="/api"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def serve(
    command: list[str],
    *,
    env: dict[str, str],
    port: int,
    log_path: Path,
    ready_path: str | None = None,
    timeout_s: float = 90,
) -> Iterator[None]:
    """Run a server on 127.0.0.1:``port`` until the block ends.

    Ready means ``ready_path`` answers 200, or, without one, that the port accepts connections
    (Voila runs the whole notebook on each GET of its page).
    """
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while not _ready(port, ready_path):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not start; see {log_path}")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _ready(port: int, path: str | None) -> bool:
    if path is None:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0
    try:
        return requests.get(f"http://127.0.0.1:{port}{path}", timeout=2).ok
    except requests.ConnectionError:
        return False


def open_and_run_all(page: Any, base: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab, wait for the kernel, and Run All Cells."""
    page.goto(f"{base}/lab/tree/{notebook}?reset", timeout=90_000)
    page.locator("#jp-main-statusbar").get_by_text("Idle").wait_for(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
