"""Commit subjects derived from the real diff (parsed with unidiff), never from narrative."""

from __future__ import annotations

from unidiff import PatchSet

MAX_NAMED = 3


def _short(path: str) -> str:
    for prefix in ("a/", "b/"):
        path = path.removeprefix(prefix)
    return path.removeprefix("corpus/")


def describe(diff_text: str) -> str | None:
    """'Add drafts/x.md (+12)', 'Edit drafts/x.md (+3 -1)', 'Move drafts/x.md to
    pieces/x.md', several files joined; None when the diff is empty."""
    patch = PatchSet(diff_text)
    if not len(patch):
        return None
    parts = []
    for pf in patch:
        if pf.is_rename:
            parts.append(f"move {_short(pf.source_file)} to {_short(pf.target_file)}")
        elif pf.is_added_file:
            parts.append(f"add {_short(pf.path)}")
        elif pf.is_removed_file:
            parts.append(f"remove {_short(pf.path)}")
        else:
            parts.append(f"edit {_short(pf.path)}")
    named = ", ".join(parts[:MAX_NAMED])
    if len(parts) > MAX_NAMED:
        named += f" and {len(parts) - MAX_NAMED} more"
    counts = f"+{patch.added}" + (f" -{patch.removed}" if patch.removed else "")
    return f"{named[0].upper()}{named[1:]} ({counts})"
