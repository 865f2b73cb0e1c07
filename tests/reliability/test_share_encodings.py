"""Sharing secrets printed in every reversible encoding: no page holds one, no message shows one.

The kernel that ``share`` starts holds a real login on its private sandbox: the client secret,
its Basic value, an access and a refresh token. One notebook prints each of them in every
encoding ``share`` promises to catch (case, URL encoding once and twice, base64 standard,
urlsafe, unpadded and wrapped, hex, JSON and HTML escapes, inside longer data, split in two
outputs) and in combinations of two; ``share`` must write the page, and no encoding of any
secret may be in it, in its text without tags, or in its decoded images. A second notebook
hides them where no redaction of a single output reaches (pieces over several cells or
outputs, inline tags every 8 characters, bytes of an image, encodings on top of encodings);
``share`` must refuse, and name each case by its kind and cell. The report, the refusal, what
was printed and the DEBUG logs (the suite's leak guard) may not show a secret either.

CI shares the two notebooks once (a kernel each); soak mode (``ADSTUDIO_SOAK=1``) five times,
each time on a fresh sandbox, so with new secrets (base64 and hex fall differently each time).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adstudio_nb import share
from tests.reliability.conftest import FigureSink
from tests.reliability.figures import Figures
from tests.reliability.leakguard import LeakGuard
from tests.reliability.scale import scaled
from tests.test_share import every_encoding, exposed, page_views, record_issued, write_notebook

pytestmark = pytest.mark.notebook

# The kernel's names for the secrets (SETUP in tests/test_share.py), by share's kinds.
KINDS = {
    "client secret": "secret",
    "Basic value": "basic",
    "access token": "access",
    "refresh token": "refresh",
}
# Encodings on top of an encoding that share redacts (the inner form is still found).
REDACTED_COMBINATIONS = {
    "upper case of base64": "every_encoding(v)['base64'].upper()",
    "base64 of a JSON object": "base64.b64encode(json.dumps({'token': v}).encode()).decode()",
    "HTML-escaped repr": "html.escape(repr({'token': v}))",
    "base64 after a Bearer prefix": "base64.b64encode(('Bearer ' + v).encode()).decode()",
}
# Encodings share finds by decoding (and refuses), unless it could redact them in place.
REFUSED_COMBINATIONS = {
    "hex of the upper case": "every_encoding(v.upper())['hex']",
    "URL-encoded base64": "urllib.parse.quote(every_encoding(v)['base64'], safe='')",
    "base64 of the upper case": "every_encoding(v.upper())['base64']",
    "hex of base64": "every_encoding(every_encoding(v)['base64'])['hex']",
}


@dataclass
class Case:
    """One secret printed one way, in one cell."""

    kind: str
    encoding: str
    cell: int = 0  # the cell's number in its notebook
    where: str = "the output of cell {cell}"  # what the refusal must name
    failed: str = ""  # why it failed, never a secret


@dataclass
class Run:
    """What one share of one notebook did."""

    cases: list[Case] = field(default_factory=list)
    written: bool = False
    findings: list[tuple[str, str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    outputs: dict[int, str] = field(default_factory=dict)  # cell -> its outputs, redacted


ENCODER = inspect.getsource(every_encoding)
FIRST_CELL = 3  # 1 reads the login, 2 defines the encodings


def _printing_cells(cases: list[Case], statements: dict[str, str], first: int) -> list[str]:
    """One cell per case, numbered from ``first``, each printing ``v`` one way."""
    cells = []
    for number, case in enumerate(cases, first):
        case.cell = number
        cells.append(f"v = {KINDS[case.kind]}\n{statements[case.encoding]}")
    return cells


def _hidden_cells(kind: str, first: int) -> tuple[list[Case], list[str]]:
    """Cells hiding one secret where no single output shows it whole; their cases."""
    name = KINDS[kind]
    pieces = [f"print({name}[{i}:{i + 10}], end='')" for i in range(0, 30, 10)]
    cells = [
        f"display(HTML('<span></span>'.join({name}[i:i + 8] for i in range(0, len({name}), 8))))",
        "display({'image/png': base64.b64encode(b'\\x89PNG\\r\\n\\x1a\\n' + "
        f"{name}.encode()).decode()}}, raw=True)",
        f"for i in range(0, len({name}), 10):\n"
        f"    display({{'text/plain': {name}[i:i + 10]}}, raw=True)",
        *pieces,
        f"print({name}[30:])",
    ]
    cases = [
        Case(kind, "split by inline tags", first),
        Case(kind, "image bytes", first + 1, "the image/png output of cell {cell}"),
        Case(kind, "10-character outputs", first + 2),
        Case(kind, "10-character pieces over 4 cells", first + 3, "the outputs taken together"),
    ]
    return cases, cells


def _share(tmp: Path, name: str, cells: list[str], patch: pytest.MonkeyPatch) -> tuple[Run, list]:
    issued = record_issued(patch)
    notebook = write_notebook(tmp / f"{name}.ipynb", f"{ENCODER}\nimport urllib.parse", *cells)
    out = tmp / f"{name}.html"
    run = Run()
    redact = share.redact_notebook

    def keep_outputs(executed: Any, secrets: Any) -> Any:
        counts = redact(executed, secrets)
        for number, cell in enumerate(executed.cells, 1):
            run.outputs[number] = json.dumps(cell.get("outputs", []))
        return counts

    patch.setattr(share, "redact_notebook", keep_outputs)
    try:
        report = share.share_notebook(notebook, out, hide_code=True)
        run.messages.append(str(report))
    except share.ShareRefused as exc:
        run.findings = exc.findings
        run.messages += [str(exc), repr(exc)]
    run.written = out.exists()
    if run.written:
        run.messages += page_views(out.read_text())
    return run, issued


def _judge(run: Run, issued: list[str], guard: LeakGuard, *, refused: bool) -> None:
    """Mark each case failed: a secret shows, or the run was not written / refused as due."""
    shown = exposed(run.messages, issued)
    for message in run.messages[:2]:
        guard.note(message)  # the suite's canary scans them too
    for case in run.cases:
        where = case.where.format(cell=case.cell)
        named = any(
            what.startswith(case.kind) and place.startswith(where) for what, place in run.findings
        )
        if shown:
            case.failed = f"a secret shows: {shown[:3]}"
        elif refused and run.written:
            case.failed = "a page was written"
        elif (
            refused
            and not named
            and not (
                case.encoding in REFUSED_COMBINATIONS
                and share.REDACTED in run.outputs.get(case.cell, "")
            )
        ):
            # An encoding on top of another one may also be redacted in place (the Basic
            # value holds the secret's base64, so hex of base64 is part of its hex): fine.
            case.failed = "neither redacted nor named in the refusal"
        elif not refused and not run.written:
            case.failed = f"refused a page it can redact: {run.findings[:3]}"


def _round(tmp: Path, patch: pytest.MonkeyPatch, guard: LeakGuard) -> list[Run]:
    """Share the two notebooks once (a fresh sandbox each: new secrets); judge every case."""
    tmp.mkdir(parents=True)
    redactable = {name: f"print(every_encoding(v)[{name!r}])" for name in every_encoding("x" * 16)}
    redactable["split in two outputs"] = (
        "display({'text/plain': v[:len(v) // 2]}, raw=True)\n"
        "display({'text/plain': v[len(v) // 2:]}, raw=True)"
    )
    redactable.update({k: f"print({v})" for k, v in REDACTED_COMBINATIONS.items()})
    refused = {k: f"print({v})" for k, v in REFUSED_COMBINATIONS.items()}

    written = [Case(kind, encoding) for kind in KINDS for encoding in redactable]
    run, issued = _share(tmp, "redacted", _printing_cells(written, redactable, FIRST_CELL), patch)
    run.cases = written
    _judge(run, issued, guard, refused=False)

    cases: list[Case] = []
    cells: list[str] = []
    for kind in KINDS:
        combined = [Case(kind, encoding) for encoding in refused]
        cells += _printing_cells(combined, refused, FIRST_CELL + len(cells))
        more, extra = _hidden_cells(kind, FIRST_CELL + len(cells))
        cases += combined + more
        cells += extra
    hidden, issued = _share(tmp, "hidden", cells, patch)
    hidden.cases = cases
    _judge(hidden, issued, guard, refused=True)
    return [run, hidden]


def test_share_secrets_in_every_reversible_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: FigureSink, leak_guard: LeakGuard
) -> None:
    """Every encoding of every secret: redacted from a written page, or the share refused."""
    runs: list[Run] = []
    for number in range(scaled(1, 5)):
        runs += _round(tmp_path / f"round{number}", monkeypatch, leak_guard)
    cases = [case for run in runs for case in run.cases]
    failed = [case for case in cases if case.failed]
    figures.add(
        Figures(
            "share: secrets in every reversible encoding",
            count=len(cases),
            failures=len(failed),
            notes=f"{len(runs)} notebooks shared; {len(KINDS)} secrets, each printed "
            f"{len(runs[0].cases) // len(KINDS)} ways it is redacted and "
            f"{len(runs[1].cases) // len(KINDS)} ways it is refused",
            details={"failed": [f"{c.kind}: {c.encoding} ({c.failed})" for c in failed[:20]]},
        )
    )
    assert not failed, [f"{c.kind}: {c.encoding} (cell {c.cell}): {c.failed}" for c in failed]
