"""The orientation: the first user message of a session (DESIGN §3).

Its size is bounded by ``max_chars`` whatever the size of the history, and building
it costs the same for ten pieces as for ten thousand: file names are listed, but only
the log entries and pieces that are shown get parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from agentgit.corpus.formats import LogEntry, Piece, Problem
from agentgit.corpus.journal import orientation_text, split_review
from agentgit.corpus.loading import Source, list_piece_slugs, load_log_entries, load_pieces

if TYPE_CHECKING:
    from agentgit.landscape.questions import Question

CLOSING_CHARS = 600
QUESTIONS_CHARS = 4000  # the Questions part's most, and at most a quarter of the room
QUESTION_LINE = 400
TERRAIN_CHARS = 500  # the terrain's one line, and at most an eighth of the room
MAX_INDEX_LINE = 400
PIECE_BATCH = 32  # pieces parsed per step while filling the index
FOOTER = (
    "Steps: read the log above, orient in the index, pick what pulls, search before you "
    "write, and judge (crystallize or abandon) before the budget runs out."
)
_HEADING_LINE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
# Headings under which a session's closing summary and open questions live.
_CLOSING_HEADING = re.compile(
    r"^#{1,6}\s*(closing|summary|open questions?|outcome|judgement|judgment)\b", re.I | re.M
)


def build_orientation(
    corpus_dir: Source,
    *,
    topic: str | None,
    budget: str,
    max_chars: int = 24000,
    recent_log: int = 12,
    today: date,
    questions: Sequence[Question] | None = None,
    terrain: str = "",
) -> tuple[str, list[Problem]]:
    """``questions``: main's questions (agentgit.questions.read) for the Questions part;
    None leaves the part out. ``terrain``: the one line on where recent sessions stood
    (agentgit.landscape.terrain.orientation_line), shown after the log."""
    head = _head(budget, topic, today, max_chars)
    entries, problems, total_log = load_log_entries(corpus_dir, newest=recent_log)
    # Whatever is left after the fixed parts is shared: the questions a quarter at most,
    # then the log, up to half, then the index.
    room = max_chars - len(head) - len(FOOTER) - 6  # 6: the blank lines between parts
    terrain = _clip(" ".join(terrain.split()), min(TERRAIN_CHARS, max(room // 8, 0)))
    room -= len(terrain) + 2 if terrain else 0
    asked = ""
    if questions is not None:
        asked = questions_section(questions, min(QUESTIONS_CHARS, room // 4))
        room -= len(asked) + 2
    log_text = _log_section(entries, total_log, room // 2)
    index_text, piece_problems = _index_section(corpus_dir, entries, room - len(log_text))
    parts = (head, log_text, terrain, asked, index_text, FOOTER)
    text = "\n\n".join(part for part in parts if part)
    return _clip(text, max_chars), problems + piece_problems


def _head(budget: str, topic: str | None, today: date, max_chars: int) -> str:
    lines = [budget.strip(), f"Today: {today.isoformat()}."]
    topic = " ".join((topic or "").split())
    if topic:
        lines.append(f"Topic: {_clip(topic, max(max_chars // 4, 80))}")
    else:
        lines.append("No topic was given: choose what pulls from the log and the index.")
    return "\n".join(line for line in lines if line)


# --- recent log ------------------------------------------------------------------------


def _log_section(entries: list[LogEntry], total: int, room: int) -> str:
    if total == 0:
        return "## Recent sessions\n\nNone yet: this is the first session."
    blocks: list[str] = []
    used = 200  # the section's title and its closing fold line
    for entry in entries:
        block = _log_block(entry)
        if used + len(block) + 2 > room and blocks:
            break  # keep at least the newest entry; _clip guards the hard bound
        blocks.append(block)
        used += len(block) + 2
    title = f"## Recent sessions (newest first: {len(blocks)} of {total:,})"
    parts = [title, *blocks]
    earlier = total - len(blocks)
    if earlier > 0:
        parts.append(
            f"…and {earlier:,} earlier sessions not shown: search the log, "
            "or read log/NNNN-<slug>.md."
        )
    return "\n\n".join(parts)


def _log_block(entry: LogEntry) -> str:
    when = (entry.ended or entry.started or "")[:10]
    outcome = entry.outcome or "in progress"
    lines = [_clip(f"### {entry.session:04d} · {when} · {outcome} · {entry.title}", 300)]
    if entry.pieces:
        lines.append(_clip(f"pieces: {', '.join(entry.pieces)}", 300))
    if entry.reason:
        lines.append(f"reason: {_clip(' '.join(entry.reason.split()), 300)}")
    journal, review = split_review(entry.body, bool(entry.review))  # people's words: apart
    closing = closing_summary(journal)
    if closing:
        lines.append(closing)
    if review:
        lines.append(orientation_text(review))
    return "\n".join(lines)


def closing_summary(body: str, limit: int = CLOSING_CHARS) -> str:
    """The part of a journal a later session most needs: its closing summary.

    That is the text from the first closing heading (Summary, Closing, Open questions,
    ...) on; without such a heading, the last paragraph.
    """
    match = _CLOSING_HEADING.search(body)
    if match:
        text = body[match.start() :]
    else:
        paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
        text = paragraphs[-1] if paragraphs else ""
    # Compact: headings become labels and blank lines go, to spend the room on words.
    text = _HEADING_LINE.sub(r"\1:", text.strip())
    text = re.sub(r"\n\s*\n", "\n", text).replace("::\n", ":\n")
    return _clip(text, limit)


# --- questions ------------------------------------------------------------------------


def questions_section(questions: Sequence[Question], room: int) -> str:
    """Open questions, most recently pursued first, each with how many sessions carried
    it (possibly-dead ones marked so), then the dropped ones worth reopening with the
    piece that changed; within ``room`` characters whatever the history."""
    live = sorted((q for q in questions if q.live), key=lambda q: (-q.last, q.id))
    reopen = sorted(
        (q for q in questions if q.status == "dropped" and q.reopen), key=lambda q: -q.last
    )
    if not live and not reopen:
        return _clip(
            "## Questions\n\nNone open. When something is really open, record it with the "
            "`question` tool (open), so later sessions can pursue it.",
            room,
        )
    title = (
        f"## Questions ({len(live):,} open): pursue, answer, drop or name as dead each one "
        "you touch; do not just carry it"
    )
    blocks = [[_question_line(q) for q in live], [_reopen_line(q) for q in reopen]]
    used = len(title) + 120  # the title, a sub-heading and the fold line
    shown: list[list[str]] = [[], []]
    for kept, lines in zip(shown, blocks, strict=True):
        for line in lines:
            if used + len(line) + 1 > room:
                break
            kept.append(line)
            used += len(line) + 1
    parts = [title]
    if shown[0]:
        parts.append("\n".join(shown[0]))
    if shown[1]:
        parts.append("Dropped, and worth reopening now:\n" + "\n".join(shown[1]))
    more = len(live) + len(reopen) - len(shown[0]) - len(shown[1])
    if more > 0:
        parts.append(f"…and {more:,} more not shown: the log entries that carried them list them.")
    return _clip("\n\n".join(parts), room)


def _question_line(q: Question) -> str:
    carried = len(q.sessions)
    line = (
        f"- {q.id} — {q.text} — opened in {q.opened:04d}, carried by {carried} "
        f"session{'s' if carried != 1 else ''}, last {q.last:04d}"
    )
    line = _clip(line, QUESTION_LINE)
    if q.possibly_dead:
        line += f" · POSSIBLY DEAD: pursued in {q.pursued} sessions with no piece that answers it"
    if q.reopen:
        line += f" · worth reopening: {q.reopen} was kept since and is near it"
    return line


def _reopen_line(q: Question) -> str:
    why = f" ({_clip(q.why, 160)})" if q.why else ""
    line = _clip(f"- {q.id} — {q.text} — dropped in {q.last:04d}{why}", QUESTION_LINE)
    return f"{line} · {q.reopen} was kept since and is near it"


# --- index of pieces -------------------------------------------------------------------


def _index_section(
    corpus_dir: Source, entries: list[LogEntry], room: int
) -> tuple[str, list[Problem]]:
    slugs = list_piece_slugs(corpus_dir)
    if not slugs:
        return "## Pieces\n\nNone yet: the corpus is empty.", []
    title = f"## Pieces ({len(slugs):,}: slug — title — summary [tags])"
    used = len(title) + 2 + 130  # the title, and room for the closing fold lines
    lines: list[str] = []
    problems: list[Problem] = []
    consumed = 0
    for piece, problem in _parsed(corpus_dir, _piece_order(slugs, entries)):
        if problem is not None:
            problems.append(problem)
        elif piece is not None:
            line = index_line(piece)
            if used + len(line) + 1 > room:
                break
            lines.append(line)
            used += len(line) + 1
        consumed += 1
    parts = [title, "\n".join(lines)] if lines else [title]
    parts += _fold_lines(len(slugs) - consumed, len(problems))
    return "\n\n".join(parts), problems


def _parsed(corpus_dir: Source, order: list[str]) -> Iterator[tuple[Piece | None, Problem | None]]:
    """Parse pieces lazily in small batches, so only about what is shown gets read."""
    for start in range(0, len(order), PIECE_BATCH):
        batch = order[start : start + PIECE_BATCH]
        pieces, bad = load_pieces(corpus_dir, batch)
        by_slug: dict[str, Piece | Problem] = {p.slug: p for p in pieces}
        by_slug.update({_slug_from_problem(p): p for p in bad})
        for slug in batch:
            found = by_slug.get(slug)  # None: the file vanished meanwhile
            yield (found, None) if isinstance(found, Piece) else (None, found)


def _piece_order(slugs: list[str], entries: list[LogEntry]) -> list[str]:
    """Pieces the recent sessions touched first (newest first), then the rest by slug."""
    existing = set(slugs)
    recent = [s for e in entries for s in e.pieces if s in existing]
    first = list(dict.fromkeys(recent))
    seen = set(first)
    return first + [s for s in slugs if s not in seen]


def _slug_from_problem(problem: Problem) -> str:
    return problem.path.rsplit("/", 1)[-1].removesuffix(".md")


def _fold_lines(more: int, broken: int) -> list[str]:
    lines = []
    if more > 0:
        lines.append(f"…and {more:,} more pieces: use list_pieces or search.")
    if broken:
        what = "piece" if broken == 1 else "pieces"
        lines.append(f"({broken:,} malformed {what} skipped; `agentgit check` lists why.)")
    return lines


def index_line(piece: Piece) -> str:
    line = f"- {piece.slug} — {piece.title}"
    if piece.summary:
        line += f" — {piece.summary}"
    line = _clip(line, MAX_INDEX_LINE)
    if piece.tags:
        line += f" [{', '.join(piece.tags)}]"
    return _clip(line, MAX_INDEX_LINE + 100)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[: max(limit, 0)]
    return text[: limit - 1].rstrip() + "…"
