"""Text from outside the repository's writers, made safe to quote (DESIGN §11).

A review comment reaches main's history and the next model's prompt. What GitHub shows a
reader is not all that is there: an HTML comment is hidden when rendered, invisible and
bidi control characters hide or reorder words, the Unicode tags block spells text no one
sees, and terminal controls rewrite a terminal. All of that goes before anything is
quoted, and what is left is bounded.
"""

from __future__ import annotations

import re

from agentgit.core.scrub import clean_line, printable

# An HTML comment, or one never closed (GitHub hides the rest of the comment then).
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Zero-width and invisible characters, bidi marks, embeddings, overrides and isolates, the
# word joiner and invisible operators, the byte order mark, the soft hyphen, Hangul and
# Mongolian fillers, variation selectors, the tags block.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


def invisible_free(text: str) -> str:
    """`text` without terminal controls, invisible or bidi control characters, and HTML
    comments. Controls and invisible characters go first, so that none can split a
    "<!--" and keep a comment; comments go until none is left, so that removing one
    cannot join the halves of another."""
    text = _INVISIBLE.sub("", printable(text))
    while True:
        stripped = _HTML_COMMENT.sub("", text)
        if stripped == text:
            return text
        text = stripped


# An image's alt text is read by a model but seen by nobody.
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def quoted(text: object, limit: int) -> str:
    """A person's text as agentgit quotes it: no terminal controls, invisible or bidi
    control characters, HTML comments, images' alt text or secrets; on one line; at
    most `limit` characters."""
    line = clean_line(_IMAGE.sub("[image]", invisible_free(str(text or ""))))
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + "…"
