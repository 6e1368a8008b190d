"""git's objects: commits, trees and blobs read and written without a worktree.

Resolving revisions, hashing and reading blobs (many at once with one
`cat-file --batch`), listing trees, building a tree or a commit from a scratch index,
and the 3-way merge `merge-tree --write-tree` computes in memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from agentgit.core.errors import GitError
from agentgit.git.run import BlobReader, Git


@dataclass(frozen=True)
class MergeResult:
    tree: str | None
    conflicts: list[str]


class Objects(Git):
    """Reading and writing git's objects."""

    def rev_parse(self, rev: str) -> str | None:
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        return out.strip() if code == 0 else None

    def hash_blob(self, text: str) -> str:
        return self.run("hash-object", "-w", "--stdin", input=text).strip()

    def read_blob(self, rev: str, path: str) -> str | None:
        code, out, _ = self.run_status("show", f"{rev}:{path}")
        return out if code == 0 else None

    def blob_id(self, rev: str, path: str) -> str | None:
        """The id of `path`'s blob in `rev`, or None if it has none there."""
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", f"{rev}:{path}")
        return out.strip() if code == 0 else None

    def work_blob_id(self, path: str) -> str | None:
        """The blob id `path` in the work tree would be committed as (git's filters, such
        as autocrlf, applied), or None if it is not a file there."""
        if not (self.top / path).is_file():
            return None
        return self.run("hash-object", f"--path={path}", "--", path).strip()

    def tree_of(self, rev: str) -> str:
        return self.run("rev-parse", f"{rev}^{{tree}}").strip()

    def ls_tree_names(self, rev: str, path: str) -> list[str]:
        out = self.run("ls-tree", "--name-only", rev, path.rstrip("/") + "/")
        return [line for line in out.splitlines() if line]

    def commit_tree(self, tree: str, parents: list[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.run(*args, input=message, env=self.identity_env()).strip()

    def tree_with_file(self, base: str, path: str, text: str) -> str:
        """The tree of `base` with one file added or replaced, built in a scratch index."""
        blob = self.hash_blob(text)
        with tempfile.TemporaryDirectory(prefix="agentgit-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", base, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            return self.run("write-tree", env=env).strip()

    def merge_tree(self, ours: str, theirs: str) -> MergeResult:
        """A real 3-way merge computed without touching any worktree or index."""
        code, out, err = self.run_status(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs
        )
        if code not in (0, 1):
            raise GitError(f"git merge-tree failed: {err.strip() or out.strip()}")
        lines = out.splitlines()
        if code == 0:
            return MergeResult(tree=lines[0].strip(), conflicts=[])
        return MergeResult(tree=None, conflicts=sorted({ln for ln in lines[1:] if ln}))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        code, _, _ = self.run_status("merge-base", "--is-ancestor", ancestor, descendant)
        return code == 0

    def changed_paths(self, old: str, new: str) -> list[str]:
        out = self.run("diff", "--name-only", "--no-renames", old, new)
        return [line for line in out.splitlines() if line]

    def tree_entries(self, rev: str, path: str) -> dict[str, tuple[str, str]]:
        """path (relative to `path`) -> (mode, object id) of everything under `path` at
        `rev`, folders included: one ls-tree."""
        out = self.run("ls-tree", "-r", "-t", "-z", rev, "--", path.rstrip("/") + "/")
        prefix = path.rstrip("/") + "/"
        entries: dict[str, tuple[str, str]] = {}
        for entry in filter(None, out.split("\0")):
            meta, _, name = entry.partition("\t")
            mode, _, sha = meta.split()
            entries[name.removeprefix(prefix)] = (mode, sha)
        return entries

    def tree_files(self, rev: str, *paths: str) -> dict[str, str]:
        """path -> blob id of the regular files under ``paths`` at ``rev``: one ls-tree
        (symbolic links and submodules are left out: they are not text of ours)."""
        out = self.run("ls-tree", "-r", "-z", rev, "--", *paths)
        files: dict[str, str] = {}
        for entry in filter(None, out.split("\0")):
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob" and mode in ("100644", "100755"):
                files[path] = sha
        return files

    _blobs: BlobReader | None = None  # started on the first read, kept for the rest

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The contents of many blobs, from one `git cat-file --batch` kept open."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        if self._blobs is None:
            self._blobs = BlobReader(self.top)
        return self._blobs.read(wanted)

    def read_checkout(self, files: Mapping[str, str]) -> dict[str, bytes]:
        """The contents of the blobs of ``files`` (path -> blob id) that the main
        worktree holds as git has them, read from it and checked by their id: a fresh
        clone's checkout is its corpus, and reading 10,000 pieces from it took 0.1 s where
        inflating them from the pack took 0.4 s. A file changed, missing, filtered on
        checkout (autocrlf) or not a regular file is left out, for `read_blobs`; after
        CHECKOUT_MISSES in a row, the checkout is taken for another commit's and the rest
        are left out too."""
        found: dict[str, bytes] = {}
        misses = 0
        top = os.fspath(self.top)
        for path, sha in files.items():
            data = _regular_file(f"{top}/{path}")  # a str: a Path per file cost a third
            if data is not None and blob_id(data, sha) == sha:
                found[sha], misses = data, 0
            else:
                misses += 1
                if misses >= CHECKOUT_MISSES:
                    break
        return found

    def read_files(self, rev: str, paths: Iterable[str]) -> dict[str, str]:
        """path -> text of those of `paths` that are regular files at `rev`: one ls-tree
        and one `cat-file --batch`, however many (read_blob's text, without its process
        per file)."""
        wanted = list(paths)
        if not wanted:  # ls-tree with no path would list the whole tree
            return {}
        files = self.tree_files(rev, *wanted)
        blobs = self.read_blobs(files.values())
        return {path: _text(blobs[sha]) for path, sha in files.items() if sha in blobs}

    def staged_files(self, pathspec: str) -> list[tuple[str, str]]:
        """(path, staged text) for files added or modified in the index: one diff for
        the staged blobs' ids, one `cat-file --batch` for their texts (a pre-commit hook
        runs this on every commit, however many files it has)."""
        out = self.run(
            "diff",
            "--cached",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=ACM",
            "-z",
            "--",
            pathspec,
        )
        fields = out.split("\0")
        staged = [(fields[i + 1], fields[i].split()[3]) for i in range(0, len(fields) - 1, 2)]
        blobs = self.read_blobs(blob for _, blob in staged)
        return [(path, _text(blobs.get(blob, b""))) for path, blob in staged]

    def fsck(self) -> tuple[bool, str]:
        code, out, err = self.run_status("fsck", "--no-progress", "--full")
        return code == 0, out + err


CHECKOUT_MISSES = 64


def _regular_file(path: str) -> bytes | None:
    """A regular file's bytes; None for anything else (a symbolic link, a FIFO that
    would block, a device), or a file that cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        return os.read(fd, info.st_size) if stat.S_ISREG(info.st_mode) else None
    except OSError:
        return None
    finally:
        os.close(fd)


def blob_id(data: bytes, like: str) -> str:
    """The object id git gives these bytes as a blob, in the hash of ``like`` (an id of
    the same repository: 40 hex digits in SHA-1, 64 in a SHA-256 repository)."""
    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def _text(data: bytes) -> str:
    """Bytes as `run` returns git's output: UTF-8 (bad bytes kept), universal newlines."""
    text = data.decode("utf-8", "surrogateescape")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
