"""What search finds: passages, and the words a query ranks by.

A passage is a paragraph of a piece, a log entry or a draft; a file's title, summary
and tags form one more. The ranking (BM25) is the index's: ``agentgit.index``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from agentgit.corpus.fields import LOADER

AREAS = ("pieces", "log", "drafts")
MAX_PASSAGE = 600
_TOKEN = re.compile(r"\w+")
_NAME = re.compile(r"[^/.][^/]*\.md")
_CLOSE = re.compile(r"^-{3,}\s*$")
# The value is the rest of the line, its trailing whitespace stripped after the match: a
# lazy `(.*?)\s*$` tried the end at every character, 0.1 s over 10,000 pieces' headers.
_META_LINE = re.compile(r"(title|summary|tags|reason):[ \t]*(.*)")


@dataclass
class Passage:
    path: str  # relative to corpus/, e.g. "pieces/foo.md"
    line: int  # 1-based line where the passage starts
    score: float
    text: str  # the paragraph, trimmed to <= MAX_PASSAGE chars


# Words that occur in nearly every passage, so they cannot rank one above another, and
# would make a query match every passage of the corpus.
_STOPWORDS = """
a an and are as at be been but by can could did do does for from had has have how i if in
into is it its may might must of on or our should so than that the their them then there
these they this those to was we were what when where which who whom why will with would
you your
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def tokens(text: str) -> list[str]:
    """The text's words (\\w+), case folded. ASCII text, most of a corpus, is split by
    one byte table (case folded, every other character a space) and str.split: the
    same words, in a third of the time the regular expression takes (a first survey of
    the terrain splits every piece)."""
    if text.isascii():
        return text.encode().translate(_ASCII_WORDS).decode().split()
    return _TOKEN.findall(text.lower())


_ASCII_WORDS = bytes(
    ord(c.lower()) if c.isalnum() or c == "_" else ord(" ") for c in map(chr, range(128))
) + bytes(range(128, 256))


def query_terms(query: str) -> list[str]:
    """The query's distinct words without stopwords (all of them if nothing else is left)."""
    terms = list(dict.fromkeys(tokens(query)))
    return [t for t in terms if t not in STOPWORDS] or terms


def split_passages(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line, text) of a file's passages: its title, summary and tags as one,
    then each paragraph of the body."""
    lines = text.split("\n")
    meta, body_start = _frontmatter(lines)
    if meta:
        yield 1, meta
    start = None
    for i in range(body_start, len(lines) + 1):
        blank = i == len(lines) or not lines[i].strip()
        if start is None and not blank:
            start = i
        elif start is not None and blank:
            yield start + 1, "\n".join(lines[start:i]).strip()
            start = None


def searchable(rel: str) -> bool:
    """A direct markdown child of a searchable area: nothing else is read."""
    parts = rel.split("/")
    return len(parts) == 2 and parts[0] in AREAS and _NAME.fullmatch(parts[1]) is not None


def _frontmatter(lines: list[str]) -> tuple[str, int]:
    """(title — summary [tags] text, index of the first body line)."""
    if not lines or lines[0].removeprefix("\ufeff").rstrip() != "---":
        return "", 0
    end = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i])), None)
    if end is None:
        return "", 0
    return _meta_text(lines[1:end]), end + 1


def _meta_text(fm_lines: list[str]) -> str:
    """Title, summary, reason and tags, read line by line rather than as YAML.

    Parsing YAML would dominate the cost of a search over thousands of files, and
    ranking needs the words, not exact values; a broken header still contributes. A
    header in flow style (``{title: T}``: what the dumper writes when every value is a
    scalar, as for a piece with no tags) is the exception, parsed as YAML.
    """
    values = _flow_values(fm_lines)
    if values is None:
        values = _line_values(fm_lines)
    text = " — ".join(
        _unquote(" ".join(values[k])) for k in ("title", "summary", "reason") if k in values
    )
    tags = [_unquote(t) for t in _tag_text(values).split(",")]
    tags = [t for t in tags if t]
    return (text + (f" [{', '.join(tags)}]" if tags else "")).strip(" —")


def _line_values(fm_lines: list[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    key = None
    for line in fm_lines:
        if match := _META_LINE.match(line):
            key = match.group(1)
            values[key] = [match.group(2).rstrip()]
        elif key and line[:1] in (" ", "\t", "-"):
            values[key].append(line.strip().removeprefix("- "))
        else:
            key = None
    return values


def _flow_values(fm_lines: list[str]) -> dict[str, list[str]] | None:
    """The header's values when it is one flow mapping (None when it is not: read line
    by line). Its tags are joined as a line's would be."""
    first = next((line for line in fm_lines if line.strip()), "")
    if not first.lstrip().startswith("{"):
        return None
    try:
        data = yaml.load("\n".join(fm_lines), Loader=LOADER)
    except yaml.YAMLError:
        return {}  # a broken flow header: nothing to read line by line either
    if not isinstance(data, dict):
        return {}
    values = {
        k: [str(data[k])]
        for k in ("title", "summary", "reason")
        if isinstance(data.get(k), str | int | float)
    }
    tags = data.get("tags")
    if isinstance(tags, list):
        values["tags"] = [", ".join(str(t) for t in tags if isinstance(t, str | int | float))]
    elif isinstance(tags, str):
        values["tags"] = [tags]
    return values


def _tag_text(values: dict[str, list[str]]) -> str:
    return " , ".join(values.get("tags", [])).strip().strip("[]")


def _unquote(value: str) -> str:
    value = " ".join(value.split())
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
    return value


def shown(path: str, line: int, score: float, text: str, terms: list[str]) -> Passage:
    """A passage as the model sees it: a long paragraph cut to a window around the
    first word it matched."""
    if len(text) <= MAX_PASSAGE:
        return Passage(path, line, score, text)
    start = _window_start(text, terms)
    window = text[start : start + MAX_PASSAGE - 2].strip()
    cut = ("…" if start else "") + window + "…"
    return Passage(path, line + text.count("\n", 0, start), score, cut)


def _window_start(text: str, terms: list[str]) -> int:
    """Start a long paragraph's window a little before its first matching word."""
    lowered = text.lower()
    hits = [m.start() for t in terms if (m := re.search(rf"\b{re.escape(t)}\b", lowered))]
    if not hits or min(hits) < MAX_PASSAGE // 2:
        return 0
    start = min(hits) - 80
    space = text.find(" ", start)
    return space + 1 if 0 <= space < min(hits) else start
