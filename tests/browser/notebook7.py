"""Jupyter Notebook 7 for browser tests, and the report explorer driven like a user.

The server mirrors :func:`tests.browser.lab.jupyterlab`: 127.0.0.1 only, no token, a private
root, configuration, runtime and data directory. The explorer helpers are shared by the
Notebook 7 and Voila tests: the same clicks and typing in either front end.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from adstudio_nb.ads import METRICS
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.session import Session
from adstudio_nb.token_store import MemoryTokenStore
from tests.browser.lab import free_port, serve, zero_config_env

__all__ = [
    "Picks",
    "account_labels",
    "expected_report",
    "explorer_env",
    "explorer_notebook",
    "notebook7",
    "open_and_run_all",
    "pick_and_run",
    "same_rows",
    "table_rows",
]

READY_TEXT = "ad accounts: pick some, then click Run"


def explorer_env(root: Path, sandbox_url: str) -> dict[str, str]:
    """The private environment of the lab tests, its kernels sent to the sandbox at ``sandbox_url``.

    The data directory is private too, so the kernel's local store starts empty.
    """
    env = zero_config_env(root)
    env["ADSTUDIO_SANDBOX_URL"] = sandbox_url
    env["XDG_DATA_HOME"] = str(root / "data")
    return env


def explorer_notebook(path: Path) -> Path:
    """Write a notebook whose cells connect and show the report explorer; return its path."""
    notebook = nbformat.v4.new_notebook()
    # Without a kernelspec the front end asks which kernel to use instead of starting one.
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell("from adstudio_nb import connect, widgets\n\nads = connect()"),
        nbformat.v4.new_code_cell("widgets.report_explorer()"),
    ]
    for number, cell in enumerate(notebook.cells):
        cell.id = str(number)
    nbformat.write(notebook, path)
    return path


@contextmanager
def notebook7(root: Path, notebook: Path, env: dict[str, str]) -> Iterator[str]:
    """Serve a copy of ``notebook`` with Jupyter Notebook 7 on a free port; yield its base URL."""
    work = root / "notebook7"
    work.mkdir()
    (work / notebook.name).write_bytes(notebook.read_bytes())
    # Notebook 7 shares JupyterLab's settings: no news toast over the notebook.
    news = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    command = [
        sys.executable, "-m", "notebook", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={work}", "--IdentityProvider.token=", "--ServerApp.password=",
    ]  # fmt: skip
    with serve(command, env=env, port=port, log_path=root / "notebook7.log", ready_path="/api"):
        yield f"http://127.0.0.1:{port}"


def open_and_run_all(page: Any, base: str, notebook: str) -> None:
    """Open ``notebook`` in Notebook 7, wait for its kernel, and Run All Cells from the menu."""
    page.goto(f"{base}/notebooks/{notebook}", timeout=90_000)
    # The kernel's name shows once a kernel is connected; the indicator then says idle.
    page.get_by_text("Python 3 (ipykernel)").first.wait_for(timeout=90_000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


@dataclass(frozen=True)
class Picks:
    """What a user picks in the explorer.

    Attributes:
        accounts: option labels of the accounts, as the list shows them ("Name (USD)").
        level_label: the level as the list shows it ("Ad sets").
        level: the level as the API names it ("AD_SET").
        fields: the metrics as the API names them ("CLICKS").
        start: the first day.
        end: the last day.
    """

    accounts: Sequence[str]
    level_label: str
    level: str
    fields: Sequence[str]
    start: date
    end: date

    @property
    def metric_labels(self) -> list[str]:
        """The metrics as the list shows them ("CLICKS (count)")."""
        return [f"{f} ({METRICS[f].unit})" for f in self.fields]


def expected_report(sandbox: Sandbox, picks: Picks) -> tuple[list[str], pd.DataFrame]:
    """The account ids and the report the picks ask for, fetched here from the same sandbox."""
    session = Session(flow=OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore()))
    try:
        session.demo_login("alex.analyst")
        ads = session.ads(store=None)
        accounts = ads.ad_accounts()
        by_label = {
            " ".join(f"{name} ({currency})".split()): ident
            for ident, name, currency in zip(
                accounts["id"], accounts["name"], accounts["currency_code"], strict=True
            )
        }
        ids = [by_label[label] for label in picks.accounts]
        frame = ads.report(
            ids,
            level=picks.level,
            fields=list(picks.fields),
            start=picks.start,
            end=picks.end,
            granularity="DAY",
        )
        return ids, frame
    finally:
        session.close()


def same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Assert two reports hold the same rows (in any order), as their CSV files say them."""
    keys = ["ad_account_id", "entity_id", "start_time"]

    def normal(frame: pd.DataFrame) -> pd.DataFrame:
        text = pd.read_csv(io.StringIO(frame.to_csv(index=False)), dtype={"entity_id": str})
        return text.sort_values(keys, ignore_index=True)

    pd.testing.assert_frame_equal(normal(got), normal(expected), check_exact=False)


def account_labels(panel: Any) -> list[str]:
    """The accounts list's option labels, once the accounts are loaded."""
    panel.get_by_text(READY_TEXT).wait_for(timeout=90_000)
    accounts = panel.locator("select[multiple]").nth(0)
    return [" ".join(t.split()) for t in accounts.locator("option").all_inner_texts()]


def _click_options(select: Any, labels: Sequence[str]) -> None:
    """Click the first label, Ctrl-click the others: as a user picks several in a list."""
    for number, label in enumerate(labels):
        option = select.get_by_role("option", name=label, exact=True)
        option.click(modifiers=["Control"] if number else [])


def _type_date(field: Any, day: date) -> None:
    """Click a date field's month and type the day as a user does (en-US: month, day, year)."""
    field.click(position={"x": 8, "y": 8})  # the left edge: the month part
    field.press_sequentially(f"{day:%m%d%Y}")
    field.press("Tab")  # leaving the field, as a user does
    value = field.input_value()
    assert value == day.isoformat(), f"typed {day:%m/%d/%Y}, the field holds {value!r}"


def pick_and_run(panel: Any, picks: Picks) -> None:
    """Pick accounts, level, metrics and dates in the explorer ``panel``; click Run."""
    selects = panel.locator("select[multiple]")
    _click_options(selects.nth(0), picks.accounts)
    panel.locator("select:not([multiple])").first.select_option(label=picks.level_label)
    _click_options(selects.nth(1), picks.metric_labels)
    dates = panel.locator("input[type='date']")
    _type_date(dates.nth(0), picks.start)
    _type_date(dates.nth(1), picks.end)
    panel.get_by_role("button", name="Run").click()


def table_rows(table: Any) -> tuple[list[str], list[list[str]]]:
    """The header and the body rows of a rendered table, as the page shows them."""
    header = [" ".join(t.split()) for t in table.locator("thead th").all_inner_texts()]
    rows = table.evaluate(
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return header, rows
