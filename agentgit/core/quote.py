"""Text from outside the repository's writers, made safe to quote (DESIGN §11).

A review comment reaches main's history and the next model's prompt. What GitHub shows a
reader is not all that is there: an HTML comment is hidden when rendered, invisible and
bidi control characters hide or reorder words, the Unicode tags block spells text no one
sees, and terminal controls rewrite a terminal. All of that goes before anything is
quoted, and what is left is bounded.
"""

from __future__ import annotations

import re

from agentgit.core.scrub import clean_line

# An HTML comment, or one never closed (GitHub hides the rest of the comment then).
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Zero-width and invisible characters, bidi embeddings, overrides and isolates, the word
# joiner and invisible operators, the byte order mark, the soft hyphen, the tags block.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


def invisible_free(text: str) -> str:
    """`text` without HTML comments and invisible or bidi control characters."""
    return _INVISIBLE.sub("", _HTML_COMMENT.sub("", text))


def quoted(text: object, limit: int) -> str:
    """A person's text as agentgit quotes it: no HTML comments, invisible or bidi control
    characters, terminal controls or secrets; on one line; at most `limit` characters."""
    # Invisible characters go first, so that none can split "<!--" and hide a comment.
    line = clean_line(invisible_free(_INVISIBLE.sub("", str(text or ""))))
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + "…"
