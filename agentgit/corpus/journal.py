"""A log entry's journal, and the Review section at its end (DESIGN §8, §11): what sync
writes there (agentgit/review/feedback.py) and how the orientation reads it back."""

from __future__ import annotations

import re

HEADING = "## Review"
ORIENT_CHARS = 900  # of the section, in the orientation
_HEADING_LINE = re.compile(r"^## Review[ \t]*\n", re.M)


def split_review(body: str) -> tuple[str, str]:
    """A journal's text before its Review section, and the section's lines (no heading)."""
    matches = list(_HEADING_LINE.finditer(body))
    if not matches:
        return body, ""
    last = matches[-1]
    return body[: last.start()].rstrip() + "\n", body[last.end() :].strip()


def orientation_text(review: str, limit: int = ORIENT_CHARS) -> str:
    """The Review section as the orientation shows it: compact, bounded."""
    lines = [line for line in review.splitlines() if line.strip()]
    text = "review (what people said and did):\n" + "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
