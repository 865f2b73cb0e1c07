"""The code base stays clean: ruff, mypy, and notebooks committed without outputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
# Shapes of Spotify-like secrets: access tokens (BQ...), refresh tokens and codes (AQ...),
# 32-hex client secrets, and Basic headers.
TOKEN_SHAPES = re.compile(
    r"\b(?:BQ|AQ)[A-Za-z0-9_-]{60,}|\b[0-9a-f]{32}\b|Basic\s+[A-Za-z0-9+/=]{20,}"
)


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (make test installs it)")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_is_clean() -> None:
    done = _run(_tool("ruff"), "check", "adstudio_nb", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = _run(_tool("ruff"), "format", "--check", "adstudio_nb", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    done = _run(_tool("mypy"))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks in the repository yet")
def test_notebooks_are_stripped_nbstripout() -> None:
    done = _run(_tool("nbstripout"), "--verify", *map(str, NOTEBOOKS))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks in the repository yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs_widget_state_or_token(path: Path) -> None:
    text = path.read_text()
    notebook = json.loads(text)
    assert "widgets" not in notebook.get("metadata", {}), "widget state saved in the notebook"
    for cell in notebook["cells"]:
        assert not cell.get("outputs"), f"outputs saved in {path.name}"
        assert not cell.get("execution_count"), f"execution count saved in {path.name}"
    assert notebook["metadata"].get("kernelspec"), "JupyterLab needs a kernelspec"
    assert not TOKEN_SHAPES.search(text), f"something token-shaped in {path.name}"
