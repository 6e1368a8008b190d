"""Ranked passage search over the corpus: BM25 over paragraphs.

A passage is a paragraph of a piece, a log entry or a draft; a file's title, summary
and tags form one more. On a big corpus the caller narrows the files first (a
``git grep -l`` prefilter, passed as ``candidates``), so this reads only those.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

AREAS = ("pieces", "log", "drafts")
MAX_PASSAGE = 600
K1 = 1.2
B = 0.75
_TOKEN = re.compile(r"\w+")
_NAME = re.compile(r"[^/.][^/]*\.md")
_CLOSE = re.compile(r"^-{3,}\s*$")
_META_LINE = re.compile(r"^(title|summary|tags|reason):[ \t]*(.*?)\s*$")


@dataclass
class Passage:
    path: str  # relative to corpus/, e.g. "pieces/foo.md"
    line: int  # 1-based line where the passage starts
    score: float
    text: str  # the paragraph, trimmed to <= MAX_PASSAGE chars


@dataclass
class _Para:
    path: str
    line: int
    text: str
    tf: Counter[str]
    length: int


# Words that occur in nearly every passage, so they cannot rank one above another. Kept
# in a query they also made every file a candidate: "the cost of memory" read and
# ranked all 15,000 files of a large corpus (2.5 s), not just those with cost or memory.
_STOPWORDS = """
a an and are as at be been but by can could did do does for from had has have how i if in
into is it its may might must of on or our should so than that the their them then there
these they this those to was we were what when where which who whom why will with would
you your
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def query_terms(query: str) -> list[str]:
    """The query's distinct words without stopwords (all of them if nothing else is left)."""
    terms = list(dict.fromkeys(tokens(query)))
    return [t for t in terms if t not in STOPWORDS] or terms


def search(
    corpus_dir: Path, query: str, limit: int = 8, candidates: Iterable[str] | None = None
) -> list[Passage]:
    terms = query_terms(query)
    if not terms or limit < 1:
        return []
    paths = _files(corpus_dir) if candidates is None else _allowed(candidates)
    paras = [p for rel in paths for p in _paragraphs(corpus_dir, rel, terms)]
    if not paras:
        return []
    scored = _bm25(paras, terms)
    scored.sort(key=lambda sp: (-sp[0], sp[1].path, sp[1].line))
    return [_passage(p, score, terms) for score, p in scored[:limit]]


# --- which files -----------------------------------------------------------------------


def _files(corpus_dir: Path) -> list[str]:
    found = []
    for area in AREAS:
        try:
            with os.scandir(corpus_dir / area) as it:
                found += [f"{area}/{e.name}" for e in it if e.name.endswith(".md")]
        except (FileNotFoundError, NotADirectoryError):
            continue
    return sorted(found)


def _allowed(candidates: Iterable[str]) -> list[str]:
    """Only direct markdown children of the searchable areas: nothing else is read."""
    keep = set()
    for rel in candidates:
        parts = str(rel).split("/")
        if len(parts) == 2 and parts[0] in AREAS and _NAME.fullmatch(parts[1]):
            keep.add(f"{parts[0]}/{parts[1]}")
    return sorted(keep)


# --- paragraphs ------------------------------------------------------------------------


def _paragraphs(corpus_dir: Path, rel: str, terms: list[str]) -> Iterator[_Para]:
    try:
        text = (corpus_dir / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # gone, unreadable or binary: nothing to rank
    lowered = text.lower()
    if not any(term in lowered for term in terms):
        # Like the caller's grep prefilter: statistics come from files that match at
        # all, so a walk and a prefiltered search rank the same way.
        return
    lines = text.split("\n")
    meta, body_start = _frontmatter(lines)
    if meta:
        yield _para(rel, 1, meta)
    start = None
    for i in range(body_start, len(lines) + 1):
        blank = i == len(lines) or not lines[i].strip()
        if start is None and not blank:
            start = i
        elif start is not None and blank:
            yield _para(rel, start + 1, "\n".join(lines[start:i]).strip())
            start = None


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
    ranking needs the words, not exact values; a broken header still contributes.
    """
    values: dict[str, list[str]] = {}
    key = None
    for line in fm_lines:
        if match := _META_LINE.match(line):
            key = match.group(1)
            values[key] = [match.group(2)]
        elif key and line[:1] in (" ", "\t", "-"):
            values[key].append(line.strip().removeprefix("- "))
        else:
            key = None
    text = " — ".join(
        _unquote(" ".join(values[k])) for k in ("title", "summary", "reason") if k in values
    )
    tags = [_unquote(t) for t in _tag_text(values).split(",")]
    tags = [t for t in tags if t]
    return (text + (f" [{', '.join(tags)}]" if tags else "")).strip(" —")


def _tag_text(values: dict[str, list[str]]) -> str:
    return " , ".join(values.get("tags", [])).strip().strip("[]")


def _unquote(value: str) -> str:
    value = " ".join(value.split())
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
    return value


def _para(path: str, line: int, text: str) -> _Para:
    toks = tokens(text)
    return _Para(path, line, text, Counter(toks), len(toks))


# --- ranking ---------------------------------------------------------------------------


def _bm25(paras: list[_Para], terms: list[str]) -> list[tuple[float, _Para]]:
    n = len(paras)
    avgdl = sum(p.length for p in paras) / n or 1.0
    idf = {}
    for term in terms:
        df = sum(1 for p in paras if term in p.tf)
        idf[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    scored = []
    for p in paras:
        norm = K1 * (1 - B + B * p.length / avgdl)
        score = sum(idf[t] * p.tf[t] * (K1 + 1) / (p.tf[t] + norm) for t in terms if t in p.tf)
        if score > 0:
            # Rounded before sorting, so equal shown scores fall back to path order.
            scored.append((round(score, 4), p))
    return scored


def _passage(p: _Para, score: float, terms: list[str]) -> Passage:
    if len(p.text) <= MAX_PASSAGE:
        return Passage(p.path, p.line, score, p.text)
    start = _window_start(p.text, terms)
    window = p.text[start : start + MAX_PASSAGE - 2].strip()
    text = ("…" if start else "") + window + "…"
    return Passage(p.path, p.line + p.text.count("\n", 0, start), score, text)


def _window_start(text: str, terms: list[str]) -> int:
    """Start a long paragraph's window a little before its first matching word."""
    lowered = text.lower()
    hits = [m.start() for t in terms if (m := re.search(rf"\b{re.escape(t)}\b", lowered))]
    if not hits or min(hits) < MAX_PASSAGE // 2:
        return 0
    start = min(hits) - 80
    space = text.find(" ", start)
    return space + 1 if 0 <= space < min(hits) else start
