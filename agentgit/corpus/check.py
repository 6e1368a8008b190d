"""The rules `agentgit check` enforces (DESIGN §1): which files may sit where in corpus/,
named how, and that each parses as what its folder holds. The pre-commit hook runs
them on what is staged (`agentgit check --staged`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from agentgit.corpus.fields import FrontmatterError
from agentgit.corpus.formats import LOG_NAME_RE, SLUG_RE, Problem, parse_log_entry, parse_piece


def check_text(path: str, text: str | bytes) -> list[Problem]:
    """Problems of one repo-relative file (e.g. ``corpus/pieces/foo.md``)."""
    parts = path.replace("\\", "/").split("/")
    if parts[0] != "corpus" or len(parts) < 2 or parts[-1] == ".gitkeep":
        return []
    if not parts[-1].endswith(".md"):
        return [Problem(path, 1, "not a markdown file")]
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return [Problem(path, line, "not UTF-8 text")]
    area = parts[1] if len(parts) > 2 else None
    if area in ("pieces", "drafts", "log") and len(parts) != 3:
        return [Problem(path, 1, f"files in corpus/{area}/ must sit directly in it")]
    try:
        if area in ("pieces", "drafts"):
            _check_piece(path, parts[-1], text)
        elif area == "log":
            _check_log(path, parts[-1], text)
        elif parts[1:] == ["PROGRAM.md"] and not text.strip():
            return [Problem(path, 1, "PROGRAM.md is empty: it holds the agent's instructions")]
    except FrontmatterError as exc:
        return [Problem(exc.path, exc.line, exc.reason)]
    return []


def _check_piece(path: str, name: str, text: str) -> None:
    if not SLUG_RE.match(name[:-3]):
        raise FrontmatterError(
            path, 1, "bad file name: use <slug>.md, slug of 1-64 of a-z, 0-9 and '-'"
        )
    parse_piece(text, path)


def _check_log(path: str, name: str, text: str) -> None:
    match = LOG_NAME_RE.match(name)
    if not match:
        raise FrontmatterError(path, 1, "bad file name: use NNNN-<slug>.md, e.g. 0007-topic.md")
    entry = parse_log_entry(text, path)
    if entry.session != int(match.group(1)):
        raise FrontmatterError(
            path, 2, f"session {entry.session} does not match the file name ({match.group(1)})"
        )


# What `check` reads of one file, at most: far more than any piece or log entry
# (a piece's body is bounded by max_body_chars), far less than a file that would
# take the machine's memory.
MAX_CHECK_BYTES = 4 * 1024 * 1024


def check_tree(root: Path, paths: Iterable[str] | None = None) -> list[Problem]:
    """Problems of the corpus files under `root` (all of them, or `paths`: files, or
    folders whose files are checked). A link that leads out of the repository is a
    problem and is not read; nor is a file larger than MAX_CHECK_BYTES."""
    if paths is None:
        paths = ["corpus"]
    problems: list[Problem] = []
    for rel in _files(root, paths):
        if not rel.startswith("corpus/"):
            continue  # not ours to judge; don't even read it
        path = root / rel
        if path.is_symlink() and not _inside(root, path):
            problems.append(Problem(rel, 1, "a link to outside the repository: not read"))
            continue
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_CHECK_BYTES + 1)
        except FileNotFoundError:
            continue  # deleted or staged for deletion: nothing to check
        except OSError as exc:
            problems.append(Problem(rel, 1, f"cannot read: {exc.strerror}"))
            continue
        if len(data) > MAX_CHECK_BYTES:
            problems.append(Problem(rel, 1, f"too large (over {MAX_CHECK_BYTES} bytes)"))
            continue
        problems.extend(check_text(rel, data))
    return sorted(problems, key=lambda p: (p.path, p.line, p.reason))


def _files(root: Path, paths: Iterable[str]) -> Iterator[str]:
    """The repo-relative files `paths` name: a folder stands for the files under it (a
    link to a folder is not followed)."""
    for given in paths:
        rel = _repo_relative(root, given)
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            found = sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())
            yield from (p.relative_to(root).as_posix() for p in found)
        else:
            yield rel


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _repo_relative(root: Path, path: str) -> str:
    given = Path(path)
    if given.is_absolute():
        try:
            given = given.relative_to(root)
        except ValueError:
            return given.as_posix()
    return given.as_posix()
