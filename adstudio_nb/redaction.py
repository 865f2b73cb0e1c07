"""Keeping secrets out of text: a value that never prints, every form of a secret, redaction.

This module owns the project's one way of hiding secrets (client secrets, access and refresh
tokens, authorization codes, the Basic value): :class:`Secret`, a holder whose ``str``, ``repr``
and ``format`` show ``<hidden>``; :func:`secret_forms`, every reversible form a secret can be
printed in (case changes, URL encoding, base64, hex, JSON and HTML escapes); and
:class:`SecretMatcher` with :func:`redact` and :func:`find_secrets`, which replace or name every
such form in a text, including forms broken by whitespace (``base64.encodebytes`` wraps lines)
and runs of 12 or more characters of a long secret (a server echoing half a token).

It never logs, prints or raises with a secret in the message, and does no I/O.

Example:
    >>> from adstudio_nb.redaction import Secret, redact, find_secrets
    >>> token = Secret("BQ" + "x7Kp2" * 10)
    >>> print(token, f"{token!r}")
    <hidden> Secret(<hidden>)
    >>> line = "sent Bearer " + token.reveal().upper()
    >>> redact(line, [token])
    'sent Bearer <hidden>'
    >>> find_secrets(line, {"access token": token})
    ['access token (upper case)']
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hmac
import html
import json
import re
import string
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote, quote_plus

__all__ = [
    "HIDDEN",
    "MIN_FORM_LENGTH",
    "MIN_RUN",
    "MIN_RUN_SECRET",
    "Secret",
    "SecretMatcher",
    "Secrets",
    "basic_value",
    "find_secrets",
    "named_forms",
    "redact",
    "secret_forms",
]

HIDDEN = "<hidden>"
# What the functions accept as "the secrets": values, or a label for one value or several.
Secrets = Iterable["str | Secret"] | Mapping[str, "str | Secret | Iterable[str | Secret]"]
# Forms shorter than this would match ordinary words and numbers everywhere.
MIN_FORM_LENGTH = 8
# A run this long of a secret at least MIN_RUN_SECRET long counts as the secret (a half token).
MIN_RUN = 12
MIN_RUN_SECRET = 16
# Text is sampled every _GRAM characters: any run of MIN_RUN characters holds one whole sample
# (MIN_RUN >= 2 * _GRAM - 1), so one dictionary look-up per sample finds every candidate run.
_GRAM = 6
# ASCII-only case folding keeps every index of the text unchanged (str.lower() may not).
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NON_SPACE = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")
_MAX_PASSES = 4


class Secret:
    """A secret value that never shows itself: ``str``, ``repr`` and f-strings give ``<hidden>``.

    The value comes out only through :meth:`reveal`. Two secrets are equal when their values are
    (compared in constant time); a ``Secret`` of a ``Secret`` holds the inner value. A secret
    cannot be pickled, so it cannot be written to a file by accident; ``copy`` returns it as is.

    Example:
        >>> s = Secret("hunter2-hunter2")
        >>> f"{s} {s!r} {s:>10}", s.reveal(), s == Secret(s)
        ('<hidden> Secret(<hidden>)   <hidden>', 'hunter2-hunter2', True)
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"A Secret holds text, not {type(value).__name__}.")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """Return the secret value: the only way to get it."""
        return self._value

    def __str__(self) -> str:
        return HIDDEN

    def __repr__(self) -> str:
        return f"Secret({HIDDEN})"

    def __format__(self, format_spec: str) -> str:
        return format(HIDDEN, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("A Secret cannot be changed: make a new one.")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("A Secret cannot be changed: make a new one.")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        # Pickling would write the value out in the clear (a file, a cache, a worker's pipe).
        raise TypeError("A Secret cannot be pickled: pass its value explicitly with reveal().")

    def __reduce__(self) -> NoReturn:
        raise TypeError("A Secret cannot be pickled: pass its value explicitly with reveal().")

    def __getstate__(self) -> NoReturn:
        raise TypeError("A Secret cannot be pickled: pass its value explicitly with reveal().")

    def __copy__(self) -> Secret:
        return self  # immutable: a copy is the same value, still hidden

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


def _text(value: str | Secret) -> str:
    return value.reveal() if isinstance(value, Secret) else value


def basic_value(client_id: str | Secret, client_secret: str | Secret) -> str:
    """Return the Basic credential ``base64(client_id:client_secret)`` of a token request (A6).

    Example:
        >>> basic_value("id", "secret")
        'aWQ6c2VjcmV0'
    """
    pair = f"{_text(client_id)}:{_text(client_secret)}"
    return base64.b64encode(pair.encode()).decode("ascii")


def _inner_base64(raw: bytes, *, urlsafe: bool) -> Iterator[tuple[int, str]]:
    """The base64 characters that only ``raw`` decides, at each of the three byte alignments.

    Base64 of a longer text that holds ``raw`` (``b64("token=" + secret)``) contains one of
    these, whatever comes before or after it.
    """
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    for shift in range(3):
        encoded = encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        start = 4 if shift else 0  # the first group mixes in the preceding bytes
        whole = (shift + len(raw)) // 3 * 4  # characters of groups made only of known bytes
        yield shift, encoded[start:whole]


def named_forms(secret: str | Secret) -> dict[str, str]:
    """Return every reversible form of ``secret`` by name (``"raw"``, ``"base64"``, ...).

    Forms shorter than :data:`MIN_FORM_LENGTH` are left out: they would match ordinary text.
    Forms that coincide keep the first name (``raw`` before ``URL-encoded`` for a plain token).

    Example:
        >>> forms = named_forms("s3cr3t/value")
        >>> forms["raw"], forms["URL-encoded"], forms["hex"][:8]
        ('s3cr3t/value', 's3cr3t%2Fvalue', '73336372')
    """
    value = _text(secret)
    raw = value.encode("utf-8", "surrogatepass")
    b64 = base64.b64encode(raw).decode("ascii")
    urlsafe = base64.urlsafe_b64encode(raw).decode("ascii")
    candidates: list[tuple[str, str]] = [
        ("raw", value),
        ("upper case", value.upper()),
        ("lower case", value.lower()),
        ("URL-encoded", quote(value, safe="")),
        ("URL-encoded (path)", quote(value)),
        ("URL-encoded (plus)", quote_plus(value)),
        ("URL-encoded twice", quote(quote(value, safe=""), safe="")),
        ("URL-encoded twice (plus)", quote_plus(quote_plus(value))),
        ("base64", b64),
        ("base64 unpadded", b64.rstrip("=")),
        ("urlsafe base64", urlsafe),
        ("urlsafe base64 unpadded", urlsafe.rstrip("=")),
        # encodebytes wraps every 76 characters: equal to base64 once whitespace is removed.
        ("base64 wrapped", base64.encodebytes(raw).decode("ascii").strip()),
        ("hex", binascii.hexlify(raw).decode("ascii")),
        ("hex upper case", binascii.hexlify(raw).decode("ascii").upper()),
        ("JSON-escaped", json.dumps(value)[1:-1]),
        ("JSON-escaped (unicode)", json.dumps(value, ensure_ascii=False)[1:-1]),
        ("HTML-escaped", html.escape(value)),
        ("HTML-escaped (text)", html.escape(value, quote=False)),
    ]
    for urlsafe_alphabet in (False, True):
        kind = "urlsafe base64" if urlsafe_alphabet else "base64"
        for shift, inner in _inner_base64(raw, urlsafe=urlsafe_alphabet):
            candidates.append((f"{kind} within other data, shift {shift}", inner))
    forms: dict[str, str] = {}
    seen: set[str] = set()
    for name, form in candidates:
        if len(form) >= MIN_FORM_LENGTH and form not in seen:
            seen.add(form)
            forms[name] = form
    return forms


def secret_forms(secret: str | Secret) -> set[str]:
    """Return every reversible form of one secret (see :func:`named_forms`), each >= 8 characters.

    Example:
        >>> "c2VjcmV0LXNlY3JldA==" in secret_forms("secret-secret")
        True
    """
    return set(named_forms(secret).values())


@dataclass(frozen=True)
class _Needle:
    label: str
    text: str  # folded: ASCII letters in lower case
    variants: tuple[tuple[str, str], ...]  # (form name, form as printed) folding to ``text``
    exact: tuple[str, ...]  # non-ASCII case forms that ASCII folding cannot reach
    runs: bool  # runs of MIN_RUN characters count too

    def name(self, found: str, *, split: bool = False) -> str:
        """Name what was found: the label, the form whose case matches, and whether a part."""
        whole = len(found) >= len(self.text)
        form = next((f for f, shown in self.variants if shown == found), None)
        if form is None:
            form = next((f for f, shown in self.variants if found in shown), self.variants[0][0])
            if whole:
                form = f"{form}, any case"
        if not whole:
            form = f"{form}, part"
        if split:
            form = "split by whitespace" if form == "raw" else f"{form}, split by whitespace"
        return self.label if form == "raw" else f"{self.label} ({form})"


def _needles(label: str, value: str, *, compact: bool) -> list[_Needle]:
    """The distinct folded forms of one secret (with all whitespace removed if ``compact``)."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for form, shown in named_forms(value).items():
        if compact:
            shown = _SPACE.sub("", shown)
        if len(shown) >= MIN_FORM_LENGTH:
            grouped.setdefault(shown.translate(_FOLD), []).append((form, shown))
    runs = len(value) >= MIN_RUN_SECRET
    needles = []
    for folded, variants in grouped.items():
        exact = tuple(
            shown for _f, shown in variants if not shown.isascii() and shown not in folded
        )
        needles.append(_Needle(label, folded, tuple(variants), exact, runs))
    return needles


class _Index:
    """Needles compiled for one kind of text (as is, or with all whitespace removed)."""

    def __init__(self, needles: list[_Needle]) -> None:
        self.needles = needles
        self.grams: dict[str, list[tuple[int, int]]] = {}
        for number, needle in enumerate(needles):
            if not needle.runs:
                continue
            folded = needle.text
            for offset in range(len(folded) - _GRAM + 1):
                places = self.grams.setdefault(folded[offset : offset + _GRAM], [])
                if len(places) < 64:  # a secret repeating itself needs no more candidates
                    places.append((number, offset))
        self.gram_set = frozenset(self.grams)  # set & set iterates the smaller side

    def spans(self, text: str) -> Iterator[tuple[int, int, int]]:
        """Yield ``(start, end, needle number)`` for every whole form and every long run."""
        folded = text.lower() if text.isascii() else text.translate(_FOLD)
        for number, needle in enumerate(self.needles):
            for haystack, what in ((folded, needle.text), *((text, e) for e in needle.exact)):
                start = haystack.find(what)
                while start != -1:
                    yield start, start + len(what), number
                    start = haystack.find(what, start + 1)
        if not self.grams or len(folded) < MIN_RUN:
            return
        samples = [folded[i : i + _GRAM] for i in range(0, len(folded) - _GRAM + 1, _GRAM)]
        hits = set(samples) & self.gram_set
        if not hits:
            return
        seen: set[tuple[int, int]] = set()
        for index, sample in enumerate(samples):
            if sample not in hits:
                continue
            at = index * _GRAM
            for number, offset in self.grams[sample]:
                alignment = at - offset  # where the needle would start in the text
                if (number, alignment) in seen:
                    continue
                start, end = _extend(folded, at, self.needles[number].text, offset)
                if end - start >= MIN_RUN:
                    seen.add((number, alignment))
                    yield start, end, number


def _extend(text: str, at: int, needle: str, offset: int) -> tuple[int, int]:
    """Grow the match ``text[at:at+_GRAM] == needle[offset:offset+_GRAM]`` both ways."""
    start, low = at, offset
    while start > 0 and low > 0 and text[start - 1] == needle[low - 1]:
        start -= 1
        low -= 1
    end, high = at + _GRAM, offset + _GRAM
    while end < len(text) and high < len(needle) and text[end] == needle[high]:
        end += 1
        high += 1
    return start, end


class SecretMatcher:
    """Known secrets compiled once, to redact or scan many texts.

    Every form of :func:`named_forms` is matched, ASCII case-insensitively; runs of
    :data:`MIN_RUN` or more characters of a form of a secret of :data:`MIN_RUN_SECRET` or more
    characters count as the secret too; and the text is matched again with all whitespace removed
    (wrapped base64, a token split over lines). The work grows linearly with the text.

    Args:
        secrets: the values, as an iterable of text or :class:`Secret`, or a mapping from a
            label (``"client secret"``) to one value or several; the labels name what
            :meth:`find` reports and :meth:`redact` counts. Empty values are ignored.

    Example:
        >>> m = SecretMatcher({"refresh token": "AQ" + "Zq9-" * 12})
        >>> m.redact("got AQZq9-Zq9-Zq9-Zq9 back")
        'got <hidden> back'
    """

    def __init__(self, secrets: Secrets) -> None:
        labelled: list[tuple[str, str]] = []
        if isinstance(secrets, Mapping):
            for label, given in secrets.items():
                several = [given] if isinstance(given, str | Secret) else list(given)
                labelled += [(str(label), _text(v)) for v in several if v]
        else:
            values = [_text(value) for value in secrets if value]
            labelled = [(f"secret {n}", value) for n, value in enumerate(values, 1)]
        labelled = list(dict.fromkeys(labelled))  # the same value twice is one set of needles
        self._plain = _Index(
            [n for label, value in labelled for n in _needles(label, value, compact=False)]
        )
        self._compact_needles = [
            n for label, value in labelled for n in _needles(label, value, compact=True)
        ]
        self._compact: _Index | None = None

    def __repr__(self) -> str:
        return f"SecretMatcher({len(self._plain.needles)} forms)"

    def __bool__(self) -> bool:
        return bool(self._plain.needles)

    def _spans(self, text: str) -> list[tuple[int, int, _Needle, bool]]:
        plain = self._plain
        found = [(s, e, plain.needles[n], False) for s, e, n in plain.spans(text)]
        if _SPACE.search(text):
            if self._compact is None:
                self._compact = _Index(self._compact_needles)
            pieces = list(_NON_SPACE.finditer(text))
            originals = [p.start() for p in pieces]
            compacts: list[int] = []
            total = 0
            for piece in pieces:
                compacts.append(total)
                total += piece.end() - piece.start()
            compact = "".join(p.group() for p in pieces)

            def original(i: int) -> int:
                k = bisect.bisect_right(compacts, i) - 1
                return originals[k] + (i - compacts[k])

            index = self._compact
            for s, e, n in index.spans(compact):
                found.append((original(s), original(e - 1) + 1, index.needles[n], True))
        return found

    def find(self, text: str) -> list[str]:
        """Return the names of the secret forms found in ``text`` (never the values), sorted.

        A name reads ``"client secret (base64)"``; ``"(part)"`` marks a run of a long secret.
        """
        found = sorted(self._spans(text), key=lambda span: (span[0], -span[1]))
        names: set[str] = set()
        region_end = -1
        best: tuple[int, str] | None = None
        for start, end, needle, compact in found:
            segment = text[start:end]
            split = compact and bool(_SPACE.search(segment))
            if split:
                segment = _SPACE.sub("", segment)
            candidate = (len(segment), needle.name(segment, split=split))
            if start >= region_end:  # a new region: report the best name of the last one
                if best is not None:
                    names.add(best[1])
                best = candidate
            elif best is None or candidate[0] > best[0]:
                best = candidate
            region_end = max(region_end, end)
        if best is not None:
            names.add(best[1])
        return sorted(names)

    def redact(
        self, text: str, *, placeholder: str = HIDDEN, counts: Counter[str] | None = None
    ) -> str:
        """Return ``text`` with every form and long run of every secret replaced.

        Args:
            text: the text.
            placeholder: what replaces each secret.
            counts: if given, the label of each replaced region is counted in it.
        """
        for _ in range(_MAX_PASSES):
            spans = sorted(
                ((s, e, n) for s, e, n, _c in self._spans(text)), key=lambda x: (x[0], -x[1])
            )
            if not spans:
                return text
            merged: list[list[Any]] = []  # [start, end, label of the longest match]
            for start, end, needle in spans:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end, needle.label])
            parts: list[str] = []
            done = 0
            for start, end, label in merged:
                parts += [text[done:start], placeholder]
                done = end
                if counts is not None:
                    counts[label] += 1
            parts.append(text[done:])
            text = "".join(parts)
        return text


def redact(
    text: str,
    secrets: Secrets,
    *,
    placeholder: str = HIDDEN,
) -> str:
    """Return ``text`` with every form of every secret (and long runs of it) replaced.

    Args:
        text: an error message, a log line, a page.
        secrets: the values (text or :class:`Secret`), or a mapping label -> value.
        placeholder: what replaces each secret.

    Example:
        >>> redact("Authorization: Basic aWQ6c2VjcmV0LXZhbHVl", [basic_value("id", "secret-value")])
        'Authorization: Basic <hidden>'
    """
    return SecretMatcher(secrets).redact(text, placeholder=placeholder)


def find_secrets(text: str, secrets: Secrets) -> list[str]:
    """Return the names (never the values) of the secret forms in ``text``, for refusals.

    Args:
        text: what is about to be written or shown.
        secrets: a mapping label -> value gives names like ``"client secret (base64)"``; a plain
            iterable numbers them (``"secret 1 (hex)"``).

    Example:
        >>> find_secrets("x=c2VjcmV0LXNlY3JldA==", {"client secret": "secret-secret"})
        ['client secret (base64)']
    """
    return SecretMatcher(secrets).find(text)
