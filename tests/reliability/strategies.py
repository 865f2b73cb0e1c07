"""Hypothesis strategies shared by the hostile-input tests."""

from __future__ import annotations

from hypothesis import strategies as st


def json_values(*, text_size: int = 20, width: int = 4) -> st.SearchStrategy[object]:
    """Return JSON values nested up to three levels (no ``st.recursive``: it warns on lists).

    ``st.recursive`` with a list or dict extension triggers a HypothesisDeprecationWarning
    ("can't actually recurse") now and then, which pytest turns into an error.
    """
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=text_size)
    keys = st.text(max_size=8)
    level1 = (
        scalars | st.lists(scalars, max_size=width) | st.dictionaries(keys, scalars, max_size=width)
    )
    level2 = (
        level1 | st.lists(level1, max_size=width) | st.dictionaries(keys, level1, max_size=width)
    )
    return level2 | st.lists(level2, max_size=2) | st.dictionaries(keys, level2, max_size=2)
