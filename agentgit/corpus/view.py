"""What the tools and the orientation read: a view of one corpus/ directory, whether it
is a plain directory or a session's tree in git objects (with its sparse worktree of
drafts and journal on top).

A view answers four questions about a path relative to corpus/ (never following a
link in its last part): what it is, where a link points, a file's bytes, the names in a
folder. `resolve` follows links on top of that, one rule for every view: a link is
followed only while it stays in corpus/, a loop is an error, and `..` never climbs out.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, Protocol

Kind = Literal["file", "dir", "link"]
MAX_LINKS = 40  # as the kernel's own bound on links followed in one lookup


class LeadsOut(Exception):  # noqa: N818 - a verdict on a path, raised like an error
    """A path (or a link on its way) that leads out of corpus/."""


class CorpusView(Protocol):
    def kind(self, rel: str) -> Kind | None:
        """What corpus/<rel> is, its last part not followed; None if nothing is there.
        No part before the last is a link (`resolve` sees to that)."""
        ...

    def link(self, rel: str) -> str:
        """Where the link corpus/<rel> points, as written in it."""
        ...

    def rooted(self, target: str) -> str | None:
        """An absolute link target as a path relative to corpus/, or None if it is not
        inside it."""
        ...

    def read(self, rel: str) -> bytes:
        """The bytes of the plain file corpus/<rel>."""
        ...

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        """The bytes of many plain files at once (the missing ones left out)."""
        ...

    def names(self, folder: str) -> list[str]:
        """The names in corpus/<folder>, unsorted; none if it is not a folder."""
        ...

    def blob_ids(self, rels: list[str]) -> dict[str, str]:
        """The git object ids of those plain files that are read from git objects (a
        file read from disk has none): what is derived from one can be kept by its id."""
        ...


def resolve(view: CorpusView, rel: str) -> str:
    """corpus/<rel> with every link followed, as a path relative to corpus/ ("" for
    corpus/ itself). Raises LeadsOut, or OSError(ELOOP) for a loop of links. A part
    that does not exist is kept as written: reading it then finds nothing."""
    todo = [p for p in rel.split("/") if p not in ("", ".")]
    todo.reverse()
    done: list[str] = []
    hops = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if not done:
                raise LeadsOut(rel)
            done.pop()
            continue
        here = "/".join([*done, part])
        if view.kind(here) != "link":
            done.append(part)
            continue
        hops += 1
        if hops > MAX_LINKS:
            raise OSError(errno.ELOOP, "a loop of symbolic links")
        target = view.link(here)
        if target.startswith("/"):
            inside = view.rooted(target)
            if inside is None:
                raise LeadsOut(rel)
            done, target = [], inside
        todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
    return "/".join(done)


def read_text(view: CorpusView, rel: str) -> str:
    """The text of corpus/<rel>, links followed while they stay in the corpus."""
    return decode(view.read(plain_file(view, rel)))


def decode(data: bytes) -> str:
    """A file's text as Python's text mode reads it: UTF-8, universal newlines."""
    text = data.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def plain_file(view: CorpusView, rel: str) -> str:
    """corpus/<rel> resolved to a plain file; FileNotFoundError when it is not one."""
    target = resolve(view, rel)
    kind = view.kind(target)
    if kind is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), rel)
    if kind != "file":
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), rel)
    return target


class DirView:
    """A plain directory: the corpus as it is on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._top = str(root)

    def kind(self, rel: str) -> Kind | None:
        try:
            st = os.lstat(f"{self._top}/{rel}" if rel else self._top)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode):
            return "link"
        return "dir" if stat.S_ISDIR(st.st_mode) else "file"

    def link(self, rel: str) -> str:
        return os.readlink(self.root / rel)

    def rooted(self, target: str) -> str | None:
        for root in (self.root, self.root.resolve()):
            try:
                return Path(target).relative_to(root).as_posix()
            except ValueError:
                continue
        return None

    def read(self, rel: str) -> bytes:
        # O_NOFOLLOW: `rel` was resolved, so a link here is one swapped in since.
        fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with open(fd, "rb") as handle:
            return handle.read()

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        found = {}
        for rel in rels:
            try:
                found[rel] = self.read(rel)
            except FileNotFoundError:
                continue
        return found

    def names(self, folder: str) -> list[str]:
        try:
            with os.scandir(self.root / folder if folder else self.root) as it:
                return [e.name for e in it]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def blob_ids(self, rels: list[str]) -> dict[str, str]:
        return {}


_KINDS: dict[str, Kind] = {"040000": "dir", "120000": "link", "100644": "file", "100755": "file"}


class TreeView:
    """A tree in git objects: `entries` maps each path under corpus/ (relative to it) to
    its (mode, object id), as `ls-tree -r -t` lists them; blobs are read on demand."""

    def __init__(
        self,
        entries: dict[str, tuple[str, str]],
        read_blobs: Callable[[Iterable[str]], dict[str, bytes]],
    ) -> None:
        self.entries = entries
        self._read_blobs = read_blobs
        self._folders: dict[str, list[str]] | None = None

    def kind(self, rel: str) -> Kind | None:
        if not rel:
            return "dir"
        entry = self.entries.get(rel)
        # A submodule (160000) is not ours to read: a folder with nothing in it.
        return None if entry is None else _KINDS.get(entry[0], "dir")

    def link(self, rel: str) -> str:
        return self.read(rel).decode("utf-8", "surrogateescape")

    def rooted(self, target: str) -> str | None:
        return None  # a tree has no place on disk: an absolute link leads out of it

    def read(self, rel: str) -> bytes:
        found = self.read_many([rel])
        if rel not in found:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), rel)
        return found[rel]

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        shas = {rel: self.entries[rel][1] for rel in rels if rel in self.entries}
        blobs = self._read_blobs(shas.values())
        return {rel: blobs[sha] for rel, sha in shas.items() if sha in blobs}

    def names(self, folder: str) -> list[str]:
        if self._folders is None:
            self._folders = {}
            for path in self.entries:
                parent, _, name = path.rpartition("/")
                self._folders.setdefault(parent, []).append(name)
        return list(self._folders.get(folder, []))

    def blob_ids(self, rels: list[str]) -> dict[str, str]:
        found = {rel: self.entries.get(rel) for rel in rels}
        return {
            rel: e[1] for rel, e in found.items() if e is not None and _KINDS.get(e[0]) == "file"
        }


class OverlayView:
    """A session's corpus: its tree in git objects, under what its sparse worktree has on
    disk. Where the worktree is checked out (`checked_out(rel)`: drafts, the journal) the
    disk alone counts; elsewhere a file on disk (there is none unless a person put it
    there) is seen over the tree's, as a full checkout would show it."""

    def __init__(self, disk: DirView, tree: TreeView, checked_out: Callable[[str], bool]) -> None:
        self.disk, self.tree, self.checked_out = disk, tree, checked_out
        self._folders: dict[str, bool] = {}  # folder -> whether it is on disk

    def _disk_kind(self, rel: str) -> Kind | None:
        # Most folders (pieces/) are not on disk at all: one lstat for the folder spares
        # one for each of 10,000 files in it. A view lives for one tool call.
        folder = rel.rpartition("/")[0]
        there = self._folders.get(folder)
        if there is None:
            there = self._folders[folder] = self.disk.kind(folder) == "dir"
        return self.disk.kind(rel) if there else None

    def _on_disk(self, rel: str) -> bool:
        return self.checked_out(rel) or self._disk_kind(rel) is not None

    def kind(self, rel: str) -> Kind | None:
        if self.checked_out(rel):
            return self.disk.kind(rel)
        return self._disk_kind(rel) or self.tree.kind(rel)

    def link(self, rel: str) -> str:
        return self.disk.link(rel) if self._on_disk(rel) else self.tree.link(rel)

    def rooted(self, target: str) -> str | None:
        return self.disk.rooted(target)

    def read(self, rel: str) -> bytes:
        return self.disk.read(rel) if self._on_disk(rel) else self.tree.read(rel)

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        local = {rel for rel in rels if self._on_disk(rel)}
        found = self.disk.read_many([rel for rel in rels if rel in local])
        found.update(self.tree.read_many([rel for rel in rels if rel not in local]))
        return found

    def names(self, folder: str) -> list[str]:
        if self.checked_out(folder):
            return self.disk.names(folder)
        return list(dict.fromkeys([*self.disk.names(folder), *self.tree.names(folder)]))

    def blob_ids(self, rels: list[str]) -> dict[str, str]:
        return self.tree.blob_ids([rel for rel in rels if not self._on_disk(rel)])
