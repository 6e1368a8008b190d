"""Checking what the model passes to a tool: its fields, and the corpus paths it names.

Everything here refuses with `ToolError`, which `agentgit.tools` turns into an error
result the model can read. A path is checked against the session's view of corpus/
(links followed, never out of it) and, before anything is written, against its
corpus directory on disk (no symbolic link on the way).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath
from typing import Any

from agentgit.corpus.view import CorpusView, LeadsOut, resolve

NAME_MAX = 255  # bytes in one file name, on the file systems git runs on


class ToolError(Exception):
    """Bad tool input: becomes an is_error tool_result."""


# -- fields --------------------------------------------------------------------------


def req_str(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if value is None:
        raise ToolError(f"missing required field {key!r}")
    if not isinstance(value, str):
        raise ToolError(f"field {key!r} must be a string")
    return _text(key, value)


def opt_str(args: dict[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ToolError(f"field {key!r} must be a string")
    return _text(key, value)


def _text(key: str, value: str) -> str:
    if "\0" in value:
        # A NUL makes git treat a draft as binary; no field has a use for one.
        raise ToolError(f"field {key!r} contains a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ToolError(f"field {key!r} is not valid Unicode (a lone surrogate?)") from None
    return value


# -- paths ---------------------------------------------------------------------------


def is_file(view: CorpusView, rel: str) -> bool:
    """Whether corpus/<rel>, links followed, is a plain file of the view."""
    try:
        return view.kind(resolve(view, rel)) == "file"
    except (LeadsOut, OSError):
        return False


def linked(corpus_dir: Path, rel: str) -> bool:
    """Whether corpus/<rel> or a directory on the way to it is a symbolic link."""
    path = str(corpus_dir)
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        path = f"{path}/{part}"
        if os.path.islink(path):
            return True
    return False


def in_corpus(view: CorpusView, rel: str) -> bool:
    """Whether corpus/<rel>, links followed, stays in the corpus: a person's symlink
    in pieces/ may point anywhere."""
    try:
        resolve(view, rel)
    except (LeadsOut, OSError):
        return False
    return True


def plain(corpus_dir: Path, rel: str) -> Path:
    """corpus/<rel> to write (or read before writing): refused when it or a directory
    on the way is a symbolic link, which could lead out of the corpus or onto a piece."""
    if linked(corpus_dir, rel):
        raise ToolError(
            f"{rel} goes through a symbolic link; the tools write only plain files in corpus/"
        )
    return corpus_dir / rel


def resolve_path(view: CorpusView, raw: str) -> tuple[str, str]:
    """A path relative to corpus/, refused if it could leave it: (as given, with its
    links followed)."""
    raw = raw.strip()
    if not raw:
        raise ToolError("path is empty")
    if "\0" in raw or "\\" in raw:
        raise ToolError(f"path {raw!r} has characters a corpus path cannot have")
    pure = PurePosixPath(raw)
    if pure.is_absolute() or raw.startswith("~"):
        raise ToolError(f"path {raw!r} is absolute; give a path relative to corpus/")
    if ".." in pure.parts:
        raise ToolError(f"path {raw!r} leaves corpus/ ('..' is not allowed)")
    if any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in pure.parts):
        # Said here, whatever the view: a tree in git objects has no such bound.
        raise ToolError(f"path {raw!r} has a name too long for a file ({NAME_MAX} bytes)")
    if pure.parts and pure.parts[0] == "corpus":
        pure = PurePosixPath(*pure.parts[1:]) if len(pure.parts) > 1 else PurePosixPath(".")
    try:
        target = resolve(view, str(pure))
    except LeadsOut:
        raise ToolError(f"path {raw!r} points outside corpus/") from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise  # a name too long for the file system: Toolbox.call says so
        loop = "cannot be resolved (a loop of symbolic links?)"
        raise ToolError(f"path {raw!r} {loop}") from None
    return str(pure), target
