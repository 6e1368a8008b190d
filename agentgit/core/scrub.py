"""Scrub secrets from transcripts before they are written anywhere.

Transcripts hold whole requests and responses; a model can echo an environment
value it saw, and a tool result can contain one. Everything that goes to disk or into
git notes passes through :func:`scrub` first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REPLACEMENT = "[scrubbed]"
MIN_SECRET_LENGTH = 8  # shorter values ("1", "true") would scrub ordinary words

_ALWAYS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GITHUB_TOKEN")
_NAME_HINTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")

# Shapes of credentials worth catching even when they are not in our environment
# (pasted into a piece, fetched from the web, printed by a tool).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"sk-ant-[A-Za-z0-9_-]+"), REPLACEMENT),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), REPLACEMENT),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), REPLACEMENT),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REPLACEMENT),  # AWS access key ids
    # case-sensitive, as HTTP writes it, so prose ("the bearer of ...") is left alone
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REPLACEMENT),
    (re.compile(r"(?i)\b(x-api-key)([\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1\2" + REPLACEMENT),
]


def secrets_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of credential-looking environment variables, longest first (so a secret
    that contains another is replaced whole)."""
    env = os.environ if env is None else env
    found = set()
    for name, value in env.items():
        upper = name.upper()
        if name in _ALWAYS or any(hint in upper for hint in _NAME_HINTS):
            value = value.strip()
            if len(value) >= MIN_SECRET_LENGTH:
                found.add(value)
    return _longest_first(found)


def _longest_first(secrets: Iterable[str]) -> list[str]:
    """So that a secret that contains another is replaced whole."""
    return sorted({s for s in secrets if s}, key=lambda s: (-len(s), s))


def scrub(obj: Any, secrets: list[str] | None = None) -> Any:
    """A deep copy of JSON-like ``obj`` with every secret replaced by "[scrubbed]".

    Strings anywhere (dict keys included) are scrubbed; other scalars are kept.
    """
    return _walk(obj, _longest_first(secrets or []))


class Scrubber:
    """`scrub` for one set of secrets, remembering each string it has scrubbed: a
    transcript is saved after every turn, and each save holds every turn before it.
    What it remembers is bounded (a process may run many sessions): past the bound it
    starts again, which costs only time."""

    REMEMBERED = 200_000  # strings; a long session's transcript holds a few thousand

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = _longest_first(secrets)
        self._done: dict[str, str] = {}

    def __call__(self, obj: Any) -> Any:
        if len(self._done) > self.REMEMBERED:
            self._done.clear()
        return _walk(obj, self.secrets, self._done)


def scrub_text(text: str, secrets: list[str] | None = None) -> str:
    return _scrub_str(text, _longest_first(secrets or []))


# Thinking blocks are signed: their text is scrubbed like any other (it is the model's
# visible reasoning now, and may repeat a pasted key), and the transcript records where
# scrubbing changed the conversation, so a resume sends no block it altered. The
# signature and the redacted data are opaque and left as they are.
_SIGNED = ("thinking", "redacted_thinking")
_OPAQUE = ("signature", "data")


def _walk(obj: Any, secrets: list[str], done: dict[str, str] | None = None) -> Any:
    if isinstance(obj, str):
        if done is None:
            return _scrub_str(obj, secrets)
        clean = done.get(obj)
        if clean is None:
            clean = done[obj] = _scrub_str(obj, secrets)
        return clean
    if isinstance(obj, Mapping):
        signed = obj.get("type") in _SIGNED
        return {
            _walk(k, secrets, done): v if signed and k in _OPAQUE else _walk(v, secrets, done)
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return type(obj)(_walk(v, secrets, done) for v in obj)
    return obj


def _scrub_str(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# -- text from a person or a model that becomes a name, a title or printed output ----------

# Whole terminal escape sequences first (CSI; OSC and the other string controls, up to
# their BEL or ST terminator, never past a line's end; a two-character ESC x), so that
# no fragment such as "]0;title" is left behind; then any C0 or C1 character still there.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
# All C0 and C1 but \t and \n, and the bidi controls (U+202E shows text reversed, so
# a title can read as something it is not).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every terminal control sequence and character removed, except newlines
    and tabs: what a terminal may be shown (an OSC can retitle the window, rewrite the
    clipboard, or hide text)."""
    # Most text is printable but for its newlines; a megabyte of `log --json` is
    # checked in a millisecond that way, where the two substitutions take 30.
    if not text.isprintable() and not text.replace("\n", "").replace("\t", "").isprintable():
        text = _INVISIBLE.sub("", _CONTROLS.sub("", _ESCAPES.sub("", text)))
    return text


def one_line(text: object, limit: int | None = None) -> str:
    """`text` on one line, its whitespace collapsed; cut to `limit` characters, an
    ellipsis last, when it is longer."""
    line = " ".join(str(text).split())
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"


def clean_text(text: str, secrets: list[str] | None = None) -> str:
    """Printable and scrubbed (this environment's secrets and credential shapes): for
    text from a person or a model that goes into a commit or a file in the tree."""
    return scrub_text(printable(text), secrets_from_env() if secrets is None else secrets)


def clean_line(text: str, secrets: list[str] | None = None) -> str:
    """:func:`clean_text` on one line, whitespace collapsed: a title, a subject, a topic
    that becomes a file or branch name."""
    return " ".join(clean_text(text, secrets).split())


# Characters a terminal cannot show right: zero-width ones and the bidi embeddings,
# overrides and isolates (U+202E turns a line around). agentgit.core.quote strips more.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
