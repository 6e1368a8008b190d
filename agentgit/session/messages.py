"""Commit messages and trailers: what `git log` shows of a session.

Everything that goes into a message (titles, reasons, the model's reasoning) is cleaned
of credentials and terminal controls here, once, whoever builds the commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from unidiff import PatchSet

from agentgit.core import figures
from agentgit.core.errors import CorpusError
from agentgit.core.scrub import clean_line, clean_text, one_line, secrets_from_env
from agentgit.core.trailers import PREFIX, Trailer
from agentgit.corpus import formats
from agentgit.git import Repository
from agentgit.landscape import novelty
from agentgit.models.base import Usage

# Step trailers that name one exploration; a landing names the session, not a step.
STEP_TRAILERS = (Trailer.TURN, Trailer.TOOL, Trailer.CALL)


def message(
    subject: str,
    body: str,
    trailers: dict[str, str],
    more: Iterable[tuple[str, str]] = (),
) -> str:
    """A commit message: a subject, the body, then the trailers, all cleaned; ``more``
    holds trailers a key may repeat (one Agentgit-Novelty per kept piece)."""
    secrets = secrets_from_env()
    subject = clean_line(subject, secrets)[:200]
    parts = [subject]
    body = clean_text(body, secrets).strip()
    if body:
        parts.append(body)
    pairs = [*trailers.items(), *more]
    parts.append("\n".join(f"{k}: {clean_line(str(v), secrets)}" for k, v in pairs))
    return "\n\n".join(parts) + "\n"


def first_line(text: str) -> str:
    """A title from a summary: its first clause, at most 80 characters."""
    for line in text.strip().splitlines():
        if line.strip():
            line = re.split(r"(?<=[.;:!?])\s", line.strip(), maxsplit=1)[0].rstrip(".;:")
            return line if len(line) <= 80 else line[:77].rstrip() + "…"
    return ""


def summary_trailers(
    session: str,
    model: str,
    outcome: str,
    title: str,
    pieces: list[str],
    turns: int,
    cost_usd: float | None,
    u: Usage,
) -> dict[str, str]:
    """The judged commit's trailers: enough for `agentgit log` to need no file."""
    return {
        Trailer.SESSION: session,
        Trailer.OUTCOME: outcome,
        Trailer.TITLE: one_line(title),
        Trailer.PIECES: ", ".join(pieces),
        Trailer.TURNS: str(turns),
        Trailer.COST: _cost_text(figures.writable_cost(cost_usd)),
        Trailer.USAGE: (
            f"input={u.input_tokens} output={u.output_tokens} "
            f"cache_read={u.cache_read_input_tokens} "
            f"cache_write={u.cache_creation_input_tokens}"
        ),
        Trailer.MODEL: model,
    }


def _cost_text(cost: float | None) -> str:
    return figures.UNKNOWN if cost is None else f"{cost:.6f}"


def landing_trailers(repo: Repository, head: str) -> dict[str, str]:
    """Main's commit repeats the branch's summary trailers, so `git log --first-parent`
    alone answers `agentgit log`, and names the archived head."""
    trailers = {k: v for k, v in repo.trailers(head).items() if k.startswith(PREFIX)}
    for key in STEP_TRAILERS:
        trailers.pop(key, None)
    trailers[Trailer.HEAD] = head
    return trailers


def novelty_trailers(records: Iterable[formats.NoveltyRecord]) -> list[tuple[str, str]]:
    """``Agentgit-Novelty: <slug> <score> nearest=<slug>:<similarity>`` per kept piece."""
    return [(novelty.TRAILER, novelty.trailer_value(r)) for r in records]


def kept_novelty(repo: Repository, head: str, log_path: str) -> list[formats.NoveltyRecord]:
    """The novelty records of the log entry a session's head holds (none if unreadable:
    a trailer is never worth failing a landing)."""
    text = repo.read_blob(head, log_path)
    try:
        return formats.parse_log_entry(text, log_path).novelty if text else []
    except CorpusError:
        return []


# -- subjects derived from the real diff (parsed with unidiff), never from narrative --
MAX_NAMED_FILES = 3


def _short_path(path: str) -> str:
    for prefix in ("a/", "b/"):
        path = path.removeprefix(prefix)
    return path.removeprefix("corpus/")


def diff_subject(diff_text: str) -> str | None:
    """'Add drafts/x.md (+12)', 'Edit drafts/x.md (+3 -1)', 'Move drafts/x.md to
    pieces/x.md', several files joined; None when the diff is empty."""
    patch = PatchSet(diff_text)
    if not len(patch):
        return None
    parts = []
    for pf in patch:
        if pf.is_rename:
            parts.append(f"move {_short_path(pf.source_file)} to {_short_path(pf.target_file)}")
        elif pf.is_added_file:
            parts.append(f"add {_short_path(pf.path)}")
        elif pf.is_removed_file:
            parts.append(f"remove {_short_path(pf.path)}")
        else:
            parts.append(f"edit {_short_path(pf.path)}")
    named = ", ".join(parts[:MAX_NAMED_FILES])
    if len(parts) > MAX_NAMED_FILES:
        named += f" and {len(parts) - MAX_NAMED_FILES} more"
    counts = f"+{patch.added}" + (f" -{patch.removed}" if patch.removed else "")
    return f"{named[0].upper()}{named[1:]} ({counts})"


def crystallize_subject(
    repo: Repository, number: int, head: str, slugs: list[str], or_else: str
) -> str:
    """`Crystallize session NNNN: <titles>` (DESIGN §2): the titles of the pieces kept, as
    they stand at the session's head; the session's title where none can be read."""
    texts = repo.read_files(head, (f"corpus/pieces/{slug}.md" for slug in slugs))
    titles = []
    for slug in slugs:
        text = texts.get(f"corpus/pieces/{slug}.md")
        try:
            titles.append(formats.parse_piece(text, f"pieces/{slug}.md").title if text else "")
        except CorpusError:
            continue
    named = "; ".join(t for t in titles if t) or or_else
    return f"Crystallize session {number:04d}: {one_line(named)}"
