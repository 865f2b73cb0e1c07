"""The package's public surface: what ``from adstudio_nb import ...`` offers, documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

import adstudio_nb

PUBLIC = ["AdStudioError", "Ads", "Settings", "__version__", "connect", "onboarding"]


def test_all_names_the_public_surface() -> None:
    """``__all__`` is exactly connect, onboarding, Ads, Settings, AdStudioError, __version__."""
    assert sorted(adstudio_nb.__all__) == sorted(PUBLIC)


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_each_public_name_resolves_and_has_a_one_sentence_docstring(name: str) -> None:
    """Each name loads, and its docstring's first line is one sentence (Shift-Tab shows it)."""
    value = getattr(adstudio_nb, name)
    doc = (value.__doc__ or "").strip()
    first = doc.splitlines()[0] if doc else ""
    assert first.endswith("."), f"{name}: {first!r}"
    assert name in dir(adstudio_nb)


def test_the_names_are_the_owning_modules_objects() -> None:
    """The package re-exports, it does not copy: one object per name."""
    from adstudio_nb.ads import Ads
    from adstudio_nb.config import Settings
    from adstudio_nb.exceptions import AdStudioError
    from adstudio_nb.session import connect, onboarding

    assert adstudio_nb.Ads is Ads and adstudio_nb.Settings is Settings
    assert adstudio_nb.AdStudioError is AdStudioError
    assert adstudio_nb.connect is connect and adstudio_nb.onboarding is onboarding
    assert isinstance(adstudio_nb.__version__, str)


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A typo says so, as for any module."""
    with pytest.raises(AttributeError, match="no attribute 'conect'"):
        adstudio_nb.conect  # noqa: B018


def test_importing_the_package_loads_neither_pandas_nor_widgets() -> None:
    """``import adstudio_nb`` stays light: pandas and ipywidgets load when a name needs them."""
    code = (
        "import sys, adstudio_nb; "
        "print(sorted(m for m in ('pandas', 'ipywidgets', 'adstudio_nb.session') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_session_loads_neither_pandas_nor_the_store() -> None:
    """The command line's status and login need the session only: no pandas, no DuckDB."""
    code = (
        "import sys, adstudio_nb.session; "
        "print(sorted(m for m in ('pandas', 'duckdb', 'adstudio_nb.store') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_old_entry_points_are_gone() -> None:
    """One way in: no widgets.connect, no Onboarding class with its own ads()."""
    from adstudio_nb import widgets

    assert not hasattr(widgets, "connect")
    assert not hasattr(widgets, "Onboarding")


def test_connect_is_the_one_way_in() -> None:
    """One entry point: ``adstudio_nb.connect`` (the session's), no second ``Ads.connect``."""
    import adstudio_nb
    from adstudio_nb.ads import Ads
    from adstudio_nb.session import connect

    assert adstudio_nb.connect is connect
    assert not hasattr(Ads, "connect")
