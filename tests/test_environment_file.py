"""environment.yml (conda) stays in step with pyproject.toml (pip)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO_ROOT

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    match = _REQUIREMENT.match(requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_conda_environment_matches_runtime_and_notebook_dependencies() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        _parse(r) for r in project["dependencies"] + project["optional-dependencies"]["notebooks"]
    )
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = dict(_parse(d) for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",))
    conda.pop("python")
    assert conda == wanted, "environment.yml and pyproject.toml list different packages or pins"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section, "environment.yml must install the package itself with pip"


def test_conda_environment_python_matches_requires_python() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.removeprefix("python") == project["requires-python"]
