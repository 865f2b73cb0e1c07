"""The sandbox package's shape: no import cycles, and it never imports the other side.

The sandbox stands in for Spotify: it must not lean on the client code it is there to test
(``auth``, ``client``, ``config`` or any other ``adstudio_nb`` module), and its modules must
import one way only, so each can be read (and replaced) from the bottom up. The graph is read
from the source with ``ast``: imports inside functions and under ``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from werkzeug.routing import Rule

import adstudio_nb.sandbox

PACKAGE = "adstudio_nb.sandbox"
ROOT = Path(adstudio_nb.sandbox.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str, source: str | None = None, *, is_package: bool | None = None) -> set[str]:
    """Return every ``adstudio_nb`` module that ``name`` imports, anywhere in its source."""
    if source is None:
        source = MODULES[name].read_text(encoding="utf-8")
    if is_package is None:
        is_package = _is_package(name)
    tree = ast.parse(source)
    base = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("adstudio_nb"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                target = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                target = node.module or ""
            if not target.startswith("adstudio_nb"):
                continue
            for alias in node.names:
                # `from . import paths` imports the module `paths`; `from .x import Y` imports x.
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


GRAPH: dict[str, set[str]] = {name: _imports(name) for name in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle of the sandbox's modules, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if target in graph and (found := visit(target)):
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if found := visit(start):
            return found
    return None


def test_the_graph_reader_sees_relative_nested_and_type_checking_imports() -> None:
    """The reader finds the kinds of import the cycle check relies on."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import paths\n"
        "from .errors import ads_error\n"
        "from ..config import Settings\n"
        "if TYPE_CHECKING:\n"
        "    from .server import Sandbox\n"
        "def later():\n"
        "    import adstudio_nb.client\n"
        "    from adstudio_nb.sandbox.data.metrics import split\n"
    )
    assert _imports(f"{PACKAGE}.example", source, is_package=False) == {
        f"{PACKAGE}.paths",
        f"{PACKAGE}.errors",
        "adstudio_nb.config",
        f"{PACKAGE}.server",
        "adstudio_nb.client",
        f"{PACKAGE}.data.metrics",
    }
    assert f"{PACKAGE}.data" in GRAPH[f"{PACKAGE}.context"]  # under TYPE_CHECKING
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_sandbox_modules_import_each_other_without_cycles() -> None:
    """No module of the sandbox imports, directly or not, one that imports it back."""
    assert _cycle(GRAPH) is None, " -> ".join(_cycle(GRAPH) or ())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_emulator_never_imports_the_client_side(name: str) -> None:
    """The emulator stands in for Spotify: no ``auth``, ``client``, ``config`` or other module."""
    outside = sorted(m for m in GRAPH[name] if not m.startswith(PACKAGE))
    assert outside == [], f"{name} imports {outside}"


def test_no_emulator_module_imports_the_server_object() -> None:
    """The application is given its state: only the package's front door names ``Sandbox``."""
    users = sorted(n for n, targets in GRAPH.items() if f"{PACKAGE}.server" in targets)
    assert users == [PACKAGE]


def test_every_ads_api_family_is_in_the_routes_table() -> None:
    """Each module of ``ads_api`` that exports ``ROUTES`` is mounted by the routes table."""
    import importlib

    from adstudio_nb.sandbox.ads_api.routes import FAMILIES, RULES

    family_names = {m.__name__ for m in FAMILIES}
    exporting = {
        name
        for name in MODULES
        if name.startswith(f"{PACKAGE}.ads_api.")
        and isinstance(getattr(importlib.import_module(name), "ROUTES", None), list)
    }
    assert exporting == family_names
    assert all(isinstance(r, Rule) for r in RULES)
    assert len(RULES) == sum(len(m.ROUTES) for m in FAMILIES)


def test_the_application_serves_from_a_bare_state_without_a_sandbox_object() -> None:
    """The WSGI application needs only a ``SandboxState``: it serves one over real HTTP."""
    import threading

    import requests
    from werkzeug.serving import make_server

    from adstudio_nb.sandbox.app import SandboxApplication
    from adstudio_nb.sandbox.clock import SandboxClock
    from adstudio_nb.sandbox.data import AdsData
    from adstudio_nb.sandbox.ratelimit import RateLimiter
    from adstudio_nb.sandbox.registry import AccountsRegistry
    from adstudio_nb.sandbox.shapes import ResponseShapes
    from adstudio_nb.sandbox.state import SandboxState

    clock = SandboxClock()
    state = SandboxState(
        registry=AccountsRegistry(clock),
        data=AdsData(clock=clock),
        clock=clock,
        shapes=ResponseShapes(),
        rate_limiter=RateLimiter("off"),
    )
    server = make_server("127.0.0.1", 0, SandboxApplication(state), threaded=True)
    state.port = int(server.port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        home = requests.get(state.base_url + "/", timeout=10)
        api = requests.get(state.api_base_url + "/businesses", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert home.status_code == 200 and state.demo_app.client_id in home.text
    assert api.status_code == 401  # B10: the door is there without a Sandbox object
