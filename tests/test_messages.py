"""What people read carries no internal behaviour ids ("A12", "B5" ...): those are for the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

_ID = re.compile(r"\b[A-D]\d{1,2}\b")
PACKAGE = REPO_ROOT / "adstudio_nb"


def _message_literals(path: Path) -> list[tuple[int, str]]:
    """Every string literal of ``path`` but its docstrings: exception texts, panel and CLI lines.

    Docstrings and comments may cite the ids; any other literal may end up in front of a
    person (raised, shown, printed, or built into such a text), so none may carry one.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_message_of_the_package_shows_a_behaviour_id() -> None:
    """Exception messages, panel texts and command-line lines never say "(A12)" or "B5"."""
    found = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {text[:80]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in _message_literals(path)
        if _ID.search(text)
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'raise ConfigurationError(f"use {x} (A12).")',
        'print("Register with rotation (A8).")',
        'message = "answers 403, B10"',
        '_html("hint", "see A1")',
    ],
)
def test_the_scan_sees_ids_in_raised_printed_and_built_texts(tmp_path: Path, source: str) -> None:
    """The scan can fail: an id in any of these forms is found."""
    path = tmp_path / "module.py"
    path.write_text(f'"""Docstrings may cite A12."""\n{source}\n')
    assert [text for _, text in _message_literals(path) if _ID.search(text)]


def test_docstrings_may_cite_ids(tmp_path: Path) -> None:
    """Docstrings are for readers of the code: they keep their ids."""
    path = tmp_path / "module.py"
    path.write_text('"""A12: the rule."""\n\ndef f():\n    """B5 applies."""\n')
    assert not [text for _, text in _message_literals(path) if _ID.search(text)]
