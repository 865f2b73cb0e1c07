"""The package's imports run one way: down the module table, with the sandbox standing apart.

Every module of ``adstudio_nb`` is read with :mod:`ast` (imports inside functions, under
``TYPE_CHECKING`` and through ``importlib.import_module`` count as much as those at the top), and
each arrow ``a -> b`` must point at a module above ``a`` in :data:`ORDER`:

- ``sandbox/`` is the emulator: it imports nothing outside itself, and only ``demo`` (the one
  bridge) imports it (tests and benchmarks may too: they are not the package);
- the package's ``__init__`` and ``__main__`` may import anything, but ``__init__`` only lazily
  (inside a function or under ``TYPE_CHECKING``), so ``import adstudio_nb`` stays light;
- ``from adstudio_nb import connect`` is an arrow to the module that owns ``connect``;
- a module not in the table fails until it is placed in it; a module of the table that is not
  there yet is skipped.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = "adstudio_nb"
# Top = lowest: a module may import those above it, never those below.
ORDER = (
    "exceptions",
    "redaction",
    "redirect_uris",
    "config",
    "token_store",
    "auth",
    "callback",
    "login",
    "pacing",
    "paging",
    "client",
    "endpoints",
    "frames",
    "async_reports",
    "export",
    "store",
    "ads",
    "demo",
    "session",
    "widgets",
    "share",
    "cli",
)
SANDBOX = "sandbox"
BRIDGE = "demo"
FRONT = ("__init__", "__main__")
ROOT = "<package>"  # the package itself: `from . import __version__`


@dataclass(frozen=True)
class Arrow:
    """One import: which file, which line, from which part of the package to which."""

    path: str
    line: int
    source: str
    target: str
    lazy: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} -> {self.target}"


def _modules(root: Path) -> dict[str, Path]:
    """Map the dotted name of every module under ``root`` (the package directory) to its file."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _part(dotted: str, package: str) -> str:
    """The part of the table a dotted module belongs to (``adstudio_nb.sandbox.x``: sandbox)."""
    if dotted == package:
        return ROOT
    return dotted.split(".")[1]


def _lazy_homes(init: Path | None) -> dict[str, str]:
    """Read ``_HOMES`` (public name -> owning module) from the package's ``__init__``."""
    if init is None:
        return {}
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_HOMES" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            homes = ast.literal_eval(node.value)
            return {str(k): str(v).lstrip(".") for k, v in homes.items()}
    return {}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:`` (they are arrows all the same)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    inside.update(id(n) for n in ast.walk(child))
    return inside


def _top_level_nodes(tree: ast.Module) -> set[int]:
    """The ids of the nodes that run at import time (not inside a function or a class body)."""
    eager: set[int] = set()

    def visit(node: ast.AST) -> None:
        eager.add(id(node))
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child)

    visit(tree)
    return eager


def _resolve(name: str, level: int, here: str, is_package: bool) -> str:
    """The absolute dotted name of ``from <level dots><name> import ...`` in module ``here``."""
    if level == 0:
        return name
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def arrows(root: Path) -> Iterator[Arrow]:
    """Yield every import of a package module by a package module under ``root``."""
    package = root.name
    modules = _modules(root)
    init = root / "__init__.py"
    homes = _lazy_homes(init if init.exists() else None)
    for dotted, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded = _type_checking_nodes(tree)
        eager = _top_level_nodes(tree)
        is_package = path.name == "__init__.py"
        source = "__init__" if dotted == package else _part(dotted, package)
        shown = str(path.relative_to(root.parent))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", node.level, dotted, is_package)
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        targets.append(f"{base}.{alias.name}")
                    elif base == package and alias.name in homes:
                        targets.append(f"{package}.{homes[alias.name]}")
                    else:
                        targets.append(base)
            elif (
                isinstance(node, ast.Call)
                and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
                in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                name = node.args[0].value
                level = len(name) - len(name.lstrip("."))
                targets = [_resolve(name.lstrip("."), level, dotted, is_package)]
            for target in dict.fromkeys(targets):  # two names from one module: one arrow
                if target == package or target.startswith(package + "."):
                    lazy = id(node) in guarded or id(node) not in eager
                    yield Arrow(shown, node.lineno, source, _part(target, package), lazy)


def violations(root: Path, order: tuple[str, ...] = ORDER) -> list[str]:
    """Every arrow against the one-way order, and every module the order does not place."""
    package = root.name
    rank = {name: index for index, name in enumerate(order)}
    found = []
    for dotted in _modules(root):
        part = "__init__" if dotted == package else _part(dotted, package)
        if part not in rank and part not in (SANDBOX, *FRONT):
            found.append(f"{dotted}: not in the module table; place it in the order")
    for arrow in arrows(root):
        source, target = arrow.source, arrow.target
        if source == target and source != "__init__":
            continue  # inside one module, or inside the sandbox
        if source == SANDBOX:
            found.append(f"{arrow}: the sandbox imports nothing outside itself")
        elif target == SANDBOX and source not in (BRIDGE, *FRONT):
            found.append(f"{arrow}: only {BRIDGE} imports the sandbox")
        elif source == "__init__" and not arrow.lazy and target != ROOT:
            found.append(f"{arrow}: the package's __init__ imports its modules lazily")
        elif source in FRONT or target in (ROOT, SANDBOX):
            continue
        elif target in FRONT:
            found.append(f"{arrow}: nothing imports the package's {target}")
        elif source not in rank or target not in rank:
            continue  # reported above as not placed
        elif rank[target] >= rank[source]:
            found.append(f"{arrow}: {target} is not above {source} in the module table")
    return found


# -- the package as it is ------------------------------------------------------------------------


def test_every_import_of_the_package_runs_down_the_module_table() -> None:
    """No arrow against the order, the sandbox apart, every module placed."""
    found = violations(REPO_ROOT / PACKAGE)
    assert found == [], "\n".join(found)


def test_the_walk_sees_the_package_as_it_is() -> None:
    """The walk finds the arrows there are (a walk that saw nothing would pass anything)."""
    seen = {(a.source, a.target) for a in arrows(REPO_ROOT / PACKAGE)}
    assert ("demo", SANDBOX) in seen  # lazily, inside a function
    assert ("session", "ads") in seen  # under TYPE_CHECKING and inside a method
    assert ("cli", "session") in seen
    assert ("__init__", "session") in seen


def _readme_table() -> list[str]:
    """The modules of the README's Layout table, in its order (``sandbox/`` as ``sandbox``)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1]
    names = []
    for line in layout.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names += [name.rstrip("/") for name in re.findall(r"`([\w/]+)`", first)]
    return names


def test_the_readmes_layout_table_is_this_order() -> None:
    """The README's module table lists the modules in the order this test enforces."""
    assert _readme_table() == [*ORDER, SANDBOX]


@pytest.mark.parametrize(
    "removed",
    ["widgets.connect", "Onboarding", "Ads.connect", "sandbox_demo_login", "embedded", "person.py"],
)
def test_the_readme_names_no_removed_entry_point(removed: str) -> None:
    """One way in: the README shows connect() and onboarding(), not the names they replaced."""
    assert removed not in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


# -- the check can fail: synthetic packages -------------------------------------------------------


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


CLEAN = {
    "__init__.py": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from .session import connect
        _HOMES = {"connect": ".session", "Ads": ".ads"}
        def __getattr__(name):
            from .widgets import panel
            return panel
        """,
    "exceptions.py": "",
    "config.py": "from .exceptions import ConfigurationError\n",
    "client.py": "from . import __version__\nfrom .config import Settings\n",
    "demo.py": """
        def start():
            from .sandbox import Sandbox
            return Sandbox()
        """,
    "session.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .ads import Ads\n",
    "ads.py": "from .client import AdsClient\n",
    "cli.py": "def main():\n    from .session import connect\n    from . import demo\n",
    "sandbox/__init__.py": "from .server import Sandbox\n",
    "sandbox/server.py": "from . import app\nfrom .app import routes\n",
    "sandbox/app.py": "import json\n",
}


def test_a_package_that_keeps_the_order_passes(tmp_path: Path) -> None:
    """Down the table, demo to the sandbox, the sandbox within itself, a lazy __init__: clean."""
    assert violations(_package(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"config.py": "from .session import Session\n"}, "config.py:1: config -> session"),
        (
            {"client.py": "def f():\n    from .ads import Ads\n"},
            "client.py:2: client -> ads: ads is not above client",
        ),
        (
            {
                "config.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from .auth import OAuthFlow\n"
            },
            "config.py:3: config -> auth",
        ),
        (
            {"config.py": "import importlib\nimportlib.import_module('adstudio_nb.sandbox')\n"},
            "config.py:2: config -> sandbox: only demo imports the sandbox",
        ),
        (
            {"share.py": "def run():\n    from .sandbox import Sandbox\n"},
            "share.py:2: share -> sandbox: only demo imports the sandbox",
        ),
        (
            {"sandbox/app.py": "from ..exceptions import AdStudioError\n"},
            "sandbox/app.py:1: sandbox -> exceptions: the sandbox imports nothing outside",
        ),
        (
            {"sandbox/app.py": "from adstudio_nb import __version__\n"},
            "sandbox/app.py:1: sandbox -> <package>",
        ),
        ({"client.py": "from . import connect\n"}, "client.py:1: client -> session"),
        ({"config.py": "import adstudio_nb.demo\n"}, "config.py:1: config -> demo"),
        ({"login.py": "from .demo import consent\n"}, "login.py:1: login -> demo"),
        ({"config.py": "from .config import x\nfrom . import cli\n"}, "config.py:2: config -> cli"),
        ({"gadgets.py": ""}, "adstudio_nb.gadgets: not in the module table"),
        (
            {"__init__.py": "from .session import connect\n"},
            "__init__.py:1: __init__ -> session: the package's __init__ imports its modules lazily",
        ),
    ],
    ids=[
        "upward",
        "inside-a-function",
        "under-type-checking",
        "through-importlib",
        "share-to-sandbox",
        "sandbox-outward",
        "sandbox-to-the-package",
        "a-name-of-the-package-front",
        "plain-import",
        "login-to-demo",
        "same-line-of-others",
        "unknown-module",
        "eager-init",
    ],
)
def test_an_arrow_against_the_order_fails(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    """Each kind of wrong arrow is found, and named with its file, line and both ends."""
    found = violations(_package(tmp_path, {**CLEAN, **files}))
    assert any(expected in line for line in found), found
