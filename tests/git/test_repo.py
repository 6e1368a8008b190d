"""The git layer, `Repository` (agentgit/repo.py and its git*.py parts): ref transactions,
reading trees and blobs, merges without a worktree, worktrees, history, bringing a
checkout forward, and what a failed network call says. Real git in a temporary
repository (refs.py's names and RefUpdate: test_refs.py)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import git
from helpers import commit_files, plain_repo, rev

from agentgit.core.errors import GitError
from agentgit.core.refs import NOTES
from agentgit.git import CheckoutBlocked, RefMoved, RefUpdate, Repository
from agentgit.git.objects import CHECKOUT_MISSES
from agentgit.git.run import BlobReader, spawn, spawn_bounded


@pytest.fixture
def top(tmp_path: Path) -> Path:
    path = plain_repo(tmp_path / "repo")
    commit_files(path, {"a.txt": "one\ntwo\n", "dir/b.txt": "bee\n"}, "First")
    return path


@pytest.fixture
def repo(top: Path) -> Repository:
    return Repository.discover(top)


# -- refs -------------------------------------------------------------------------


def test_a_transaction_moves_every_ref_and_says_why_in_the_reflog(
    top: Path, repo: Repository
) -> None:
    first = rev(top, "main")
    second = commit_files(top, {"a.txt": "changed\n"}, "Second")
    repo.ref_transaction(
        [RefUpdate.create("refs/heads/x/one", first), RefUpdate.create("refs/x/two", second)],
        message="agentgit: claim",
    )
    assert repo.list_refs("refs/x") == {"refs/x/two": second}
    assert repo.list_refs("refs/heads/x") == {"refs/heads/x/one": first}
    # A branch keeps a reflog (the claim's seed is read back from it); its first entry
    # is what created it, however far it moves after.
    repo.move_ref("refs/heads/x/one", second, first)
    assert repo.first_reflog_message("refs/heads/x/one") == "agentgit: claim"
    assert repo.first_reflog_message("refs/heads/x/none") is None

    assert repo.rev_parse("refs/heads/x/one") == second
    with pytest.raises(RefMoved):  # read as `first`, but it is `second` now
        repo.move_ref("refs/heads/x/one", first, first)
    with pytest.raises(RefMoved):  # old=None: it must not exist yet
        repo.move_ref("refs/x/two", first, None)
    with pytest.raises(RefMoved):
        repo.delete_ref("refs/x/two", first)
    repo.delete_ref("refs/x/two", second)
    assert repo.list_refs("refs/x") == {}


# -- objects ----------------------------------------------------------------------


def test_tree_files_lists_regular_files_only_and_read_blobs_reads_them_at_once(
    top: Path, repo: Repository
) -> None:
    (top / "link").symlink_to("a.txt")
    commit_files(top, {"tool.sh": "#!/bin/sh\n", "dir/raw.bin": b"\x00\x01\xff\n"}, "More")
    git(top, "add", "link")
    git(top, "commit", "-q", "-m", "A link")
    (top / "tool.sh").chmod(0o755)
    git(top, "commit", "-q", "-am", "Executable")

    every = repo.tree_files("main")
    assert set(every) == {"a.txt", "dir/b.txt", "dir/raw.bin", "tool.sh"}  # no symlink
    assert every["a.txt"] == repo.blob_id("main", "a.txt")
    assert set(repo.tree_files("main", "dir")) == {"dir/b.txt", "dir/raw.bin"}

    missing = "0123456789abcdef0123456789abcdef01234567"
    blobs = repo.read_blobs([every["dir/raw.bin"], every["a.txt"], every["a.txt"], missing])
    assert blobs == {every["dir/raw.bin"]: b"\x00\x01\xff\n", every["a.txt"]: b"one\ntwo\n"}
    assert repo.read_blobs([]) == {}


def test_read_checkout_reads_only_files_that_are_the_blobs(top: Path, repo: Repository) -> None:
    """The main worktree's files stand in for blobs only when their bytes are the blob:
    not a file changed since, one missing, a symbolic link, a FIFO (not waited on)."""
    commit_files(top, {"c.txt": "sea\n", "d.txt": "delta\n", "e.txt": "estuary\n"}, "More")
    files = repo.tree_files("main")
    (top / "a.txt").write_text("changed, not committed\n")
    (top / "c.txt").unlink()
    (top / "d.txt").unlink()
    (top / "d.txt").symlink_to("e.txt")  # the same name, another file's bytes
    (top / "e.txt").unlink()
    os.mkfifo(top / "e.txt")
    found = repo.read_checkout(files)
    assert found == {files["dir/b.txt"]: b"bee\n"}
    assert repo.read_checkout({}) == {}


def test_read_checkout_gives_up_on_a_checkout_of_another_commit(
    top: Path, repo: Repository
) -> None:
    """After CHECKOUT_MISSES in a row it reads no more (the checkout is of another
    commit, and git reads them), and the files are known by their id in SHA-256 too."""
    many = {f"f{i:03d}.txt": f"file {i}\n" for i in range(CHECKOUT_MISSES + 1)}
    commit_files(top, many, "Many")
    files = {path: sha for path, sha in repo.tree_files("main").items() if path in many}
    for path in list(many)[:CHECKOUT_MISSES]:
        (top / path).write_text("another commit's\n")
    assert repo.read_checkout(files) == {}  # the last one is as git has it, but not read
    (top / "f000.txt").write_text(many["f000.txt"])
    assert list(repo.read_checkout(files)) == [files["f000.txt"], files[list(many)[-1]]]
    wide = plain_repo(top.parent / "wide", "--object-format=sha256")
    sha = commit_files(wide, {"w.txt": "wide\n"}, "Wide")
    wide_repo = Repository.discover(wide)
    blob = wide_repo.tree_files(sha)["w.txt"]
    assert len(blob) == 64 and wide_repo.read_checkout({"w.txt": blob}) == {blob: b"wide\n"}


def test_one_reader_answers_every_read_and_outlives_a_kill(top: Path, repo: Repository) -> None:
    """read_blobs keeps one `cat-file --batch` open: it sees objects written after it
    started, answers a read of more ids than a pipe holds, and one killed is replaced."""
    texts = [f"blob {i}\n" * (i % 7 + 1) for i in range(1200)]
    shas = [repo.hash_blob(t) for t in texts[:3]]
    assert repo.read_blobs(shas) == {s: t.encode() for s, t in zip(shas, texts, strict=False)}
    reader = repo._blobs
    assert reader is not None and reader._proc is not None
    first = reader._proc.pid
    ids = _written(top, texts)
    many = repo.read_blobs(ids)  # written after the reader started; 1,200 at once
    assert [many[i] for i in ids] == [t.encode() for t in texts]
    assert reader._proc.pid == first  # the same process answered
    reader._proc.kill()
    reader._proc.wait()
    assert repo.read_blobs(ids[:2]) == {ids[0]: texts[0].encode(), ids[1]: texts[1].encode()}
    assert reader._proc is not None and reader._proc.pid != first
    reader.close()
    assert reader._proc is None and repo.read_blobs(ids[:1]) == {ids[0]: texts[0].encode()}


def test_a_read_interrupted_between_answers_leaves_none_for_the_next(repo: Repository) -> None:
    """A stop (SIGINT or SIGTERM to agentgit alone: KeyboardInterrupt) that lands after
    git answered part of a read leaves the rest of that answer in the pipe: the next
    read must not take it for its own."""
    a, b, c = (repo.hash_blob(t) for t in ("aaa\n", "bbb\n", "ccc\n"))

    class Stopping(str):
        """An id whose answer, once read, is where the signal lands."""

        def __hash__(self) -> int:
            raise KeyboardInterrupt

    assert repo.read_blobs([a]) == {a: b"aaa\n"}
    reader = repo._blobs
    assert reader is not None
    with pytest.raises(KeyboardInterrupt):
        reader.read([Stopping(a), b])
    assert repo.read_blobs([c]) == {c: b"ccc\n"}


def test_a_streamed_read_stopped_midway_leaves_no_writer_and_no_answer(
    top: Path, repo: Repository
) -> None:
    """Past one chunk the requests are written by a thread while the answers are read: a
    stop in the middle must end that thread and leave nothing in the pipe."""
    texts = [f"streamed {i}\n" for i in range(400)]
    ids = _written(top, texts)

    class Stopping(str):
        def __hash__(self) -> int:
            raise KeyboardInterrupt

    reader = BlobReader(top)
    with pytest.raises(KeyboardInterrupt):
        reader.read([*ids[:300], Stopping(ids[300]), *ids[301:]])
    assert not [t for t in threading.enumerate() if t.name == "agentgit-cat-file"]
    assert reader.read(ids[-2:]) == {ids[-2]: texts[-2].encode(), ids[-1]: texts[-1].encode()}
    reader.close()


def test_a_streamed_read_stopped_with_both_pipes_full_still_ends(top: Path) -> None:
    """A stop early in a read of more than the pipes hold leaves git blocked writing
    answers and the writer thread blocked on git's full stdin: closing the reader must
    not wait on that writer (it did, for ever, when it closed stdin first)."""
    ids = _written(top, [f"{i} " + "x" * 2000 for i in range(5000)])

    class Stopping(str):
        def __hash__(self) -> int:
            raise KeyboardInterrupt

    reader = BlobReader(top)
    stopped: list[BaseException] = []

    def read() -> None:
        try:
            reader.read([ids[0], Stopping(ids[1]), *ids[2:]])
        except KeyboardInterrupt as exc:
            stopped.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(60)  # a bound on a hang, not a measure of speed
    assert not thread.is_alive(), "closing the reader waited on its writer"
    assert stopped and not [t for t in threading.enumerate() if t.name == "agentgit-cat-file"]
    assert reader.read(ids[:1]) == {ids[0]: f"0 {'x' * 2000}".encode()}
    reader.close()


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="Linux: a pipe's size is set")
def test_a_read_fits_the_smallest_pipe_a_system_gives(top: Path, repo: Repository) -> None:
    """A pipe may hold one page (Linux, for a user with many pipes open; a Mac's start
    smaller than Linux's 64 KB): the requests git has not read yet must fit in one, or
    agentgit waits to write while git waits to answer."""
    texts = [f"{i} " + "word " * 2000 for i in range(500)]
    ids = [repo.hash_blob(t) for t in texts]
    assert repo.read_blobs(ids[:1]) == {ids[0]: texts[0].encode()}
    assert repo._blobs is not None and repo._blobs._proc is not None
    proc = repo._blobs._proc
    for pipe in (proc.stdin, proc.stdout):
        assert pipe is not None
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 4096)

    class Stuck(Exception):
        """Not an OSError: the reader would take it for a dead git and start another."""

    def stuck(signum: int, frame: object) -> None:
        raise Stuck("read_blobs waits on git, which waits on it")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(10)
    try:
        many = repo.read_blobs(ids)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [many[i] for i in ids] == [t.encode() for t in texts]


def _written(top: Path, texts: list[str]) -> list[str]:
    """The blob ids of ``texts``, written to the object store by plain git."""
    return subprocess.run(
        ["git", "hash-object", "-w", "--stdin-paths"],
        cwd=top,
        input=_files(top, texts),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def _files(top: Path, texts: list[str]) -> str:
    folder = top.parent / "texts"
    folder.mkdir()
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{i}.txt"
        path.write_text(text, "utf-8")
        paths.append(f"{path}\n")
    return "".join(paths)


def test_read_files_reads_the_files_there_are_in_one_batch(top: Path, repo: Repository) -> None:
    commit_files(top, {"c.txt": "one\r\ntwo\n"}, "Windows line ends")
    texts = repo.read_files("main", ["a.txt", "dir/b.txt", "c.txt", "gone.txt"])
    assert texts == {"a.txt": "one\ntwo\n", "dir/b.txt": "bee\n", "c.txt": "one\ntwo\n"}
    assert texts["c.txt"] == repo.read_blob("main", "c.txt")  # read_blob's text, batched
    assert repo.read_files("main", []) == {}  # not the whole tree


def test_every_way_of_starting_git_says_when_there_is_none(
    top: Path, repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = git(top, "rev-parse", "main:a.txt").strip()
    monkeypatch.setenv("PATH", str(top / "no-such-dir"))
    for start in (
        lambda: spawn(["status"], top),
        lambda: spawn_bounded(["status"], top, {}, 5.0),
        lambda: BlobReader(top).read([sha]),
    ):
        with pytest.raises(GitError, match="git is not installed or not on PATH"):
            start()


def test_tree_with_file_and_commit_tree_build_a_commit_without_a_worktree(
    top: Path, repo: Repository
) -> None:
    base = rev(top, "main")
    tree = repo.tree_with_file(base, "log/0001.md", "entry\n")
    commit = repo.commit_tree(tree, [base], "Log one\n\nAgentgit-Session: 0001\n")
    assert repo.read_blob(commit, "log/0001.md") == "entry\n"
    assert repo.read_blob(commit, "a.txt") == "one\ntwo\n"  # the rest of base kept
    assert repo.trailers(commit) == {"Agentgit-Session": "0001"}
    assert rev(top, "main") == base and git(top, "status", "--porcelain") == ""


def test_merge_tree_merges_in_memory_or_names_the_conflicts(top: Path, repo: Repository) -> None:
    base = rev(top, "main")
    git(top, "switch", "-q", "-c", "ours")
    ours = commit_files(top, {"a.txt": "one\ntwo\nours\n", "c.txt": "sea\n"}, "Ours")
    git(top, "switch", "-q", "-c", "theirs", base)
    theirs = commit_files(top, {"dir/b.txt": "bee\nhive\n"}, "Theirs")

    clean = repo.merge_tree(ours, theirs)
    assert clean.conflicts == [] and clean.tree
    merged = repo.commit_tree(clean.tree, [ours, theirs], "Merge\n")
    assert repo.read_blob(merged, "a.txt") == "one\ntwo\nours\n"
    assert repo.read_blob(merged, "dir/b.txt") == "bee\nhive\n"
    assert repo.read_blob(merged, "c.txt") == "sea\n"

    clash = commit_files(top, {"a.txt": "one\ntwo\ntheirs\n", "c.txt": "land\n"}, "Clash")
    conflicted = repo.merge_tree(ours, clash)
    assert conflicted.tree is None
    assert conflicted.conflicts == ["a.txt", "c.txt"]
    assert rev(top, "HEAD") == clash  # no worktree, no index touched
    assert git(top, "status", "--porcelain") == ""


# -- worktrees --------------------------------------------------------------------


def test_notes_are_added_and_merged_by_compare_and_swap_leaving_no_scratch_ref(
    top: Path, repo: Repository
) -> None:
    first = rev(top, "main")
    second = commit_files(top, {"c.txt": "sea\n"}, "Second")
    repo.add_note(first, "one\n")
    ours = rev(top, NOTES)
    repo.add_note(second, "two\n")
    assert repo.read_note(first) == "one\n" and repo.read_note(second) == "two\n"
    # Theirs: a notes history that went another way from `ours`.
    git(top, "update-ref", "refs/notes/theirs", ours)
    git(top, "notes", "--ref", "refs/notes/theirs", "append", "-m", "three", first)
    repo.merge_notes("refs/notes/theirs")
    assert "one" in (repo.read_note(first) or "") and "three" in (repo.read_note(first) or "")
    assert repo.read_note(second) == "two\n"
    merged = rev(top, NOTES)
    repo.merge_notes("refs/notes/theirs")  # all of theirs is in ours already: nothing moves
    assert rev(top, NOTES) == merged
    assert repo.list_refs(f"{NOTES}-scratch/") == {}


def test_worktree_branch_and_head_know_only_a_worktree_top(
    tmp_path: Path, top: Path, repo: Repository
) -> None:
    git(top, "branch", "side")
    side = tmp_path / "wt" / "side"
    repo.add_worktree(side, "side")
    assert repo.worktree_branch(side) == "side"
    assert repo.worktree_head(side) == rev(top, "main")
    assert repo.worktrees()["refs/heads/side"] == side.resolve()

    (side / "dir").mkdir(exist_ok=True)
    assert repo.worktree_branch(side / "dir") is None  # inside one, not its top
    assert repo.worktree_branch(top) is None  # the main worktree has a .git dir
    assert repo.worktree_head(tmp_path) is None

    detached = tmp_path / "wt" / "detached"
    repo.add_detached_worktree(detached, "main")
    assert repo.worktree_branch(detached) is None
    assert repo.worktree_head(detached) == rev(top, "main")

    repo.remove_worktree(side)
    assert not side.exists() and "refs/heads/side" not in repo.worktrees()


def test_commit_staged_names_its_own_commit_whatever_the_subject_says(
    tmp_path: Path, top: Path, repo: Repository
) -> None:
    """The id is read from git's "[<branch> <id>] <subject>" line: not from a subject
    (an abandon's reason is a person's text) that looks like one, nor lost detached."""
    git(top, "branch", "side")
    side = tmp_path / "wt" / "side"
    repo.add_worktree(side, "side")
    detached = tmp_path / "wt" / "detached"
    repo.add_detached_worktree(detached, "main")
    lookalike = f"Abandon: see [main {'0' * 40}] and [x {'1' * 40}] "
    for worktree in (side, detached):
        (worktree / "a.txt").write_text(f"{worktree.name}\n", "utf-8")
        repo.stage(worktree, "a.txt")
        made = repo.commit_staged(worktree, f"{lookalike}\n\nBody.\n")
        assert made == rev(worktree, "HEAD") != rev(top, "main")


# -- history ----------------------------------------------------------------------


def test_log_reads_subjects_bodies_and_trailers_in_one_call(top: Path, repo: Repository) -> None:
    first = rev(top, "main")
    message = "Draft tides\n\nThe moon pulls.\n\nAgentgit-Session: 0007\nAgentgit-Tool: write\n"
    (top / "a.txt").write_text("moon\n")
    git(top, "commit", "-q", "-am", message)
    (commit, older) = repo.log(["main"])
    assert older.sha == first and older.trailers == {}
    assert commit.parents == [first]
    assert commit.subject == "Draft tides"
    assert "The moon pulls." in commit.body
    assert commit.trailers == {"Agentgit-Session": "0007", "Agentgit-Tool": "write"}
    assert commit.date.startswith("2026-01-02T03:04:05")
    assert repo.trailers("main") == commit.trailers
    assert [c.sha for c in repo.log(["main"], max_count=1)] == [commit.sha]
    assert [c.sha for c in repo.log(["main"], paths=["dir"])] == [first]


def test_authored_reads_who_wrote_each_commit_and_when(top: Path, repo: Repository) -> None:
    first = rev(top, "main")
    (top / "a.txt").write_text("tide\n")
    message = "By hand\n\nAgentgit-Session: 0003\n"
    by = ["--author=Ada <ada@example.invalid>", "--date=2025-05-06T07:08:09+00:00"]
    git(top, "commit", "-q", "-am", message, *by)
    (commit, older) = repo.authored(["main"], 5)
    assert (commit.author, commit.email) == ("Ada", "ada@example.invalid")
    assert commit.date.startswith("2025-05-06T07:08:09")  # the author's date, not the commit's
    assert commit.parents == [first] and older.parents == []
    assert commit.subject == "By hand" and commit.body == ""
    assert commit.trailers == {"Agentgit-Session": "0003"}
    assert (older.sha, older.author, older.email) == (
        first,
        "Test Author",
        "author@example.invalid",
    )
    assert repo.authored(["main"], 1) == [commit]


def test_log_numstat_lists_a_branch_oldest_first_with_its_files(
    top: Path, repo: Repository
) -> None:
    base = rev(top, "main")
    one = commit_files(top, {"a.txt": "one\nthree\nfour\n"}, "One")
    two = commit_files(top, {"pic.bin": b"\x00\x89PNG\n", "dir/b.txt": "bee\n"}, "Two")
    stats = repo.log_numstat("main", base)
    assert [c.sha for c, _ in stats] == [one, two]
    assert stats[0][1] == [("a.txt", 2, 1)]
    assert stats[1][1] == [("pic.bin", 0, 0)]  # binary: no line counts; b.txt unchanged
    assert repo.log_numstat("main", "main") == []


# -- the user's checkout ----------------------------------------------------------


def ahead_of_main(top: Path, contents: dict[str, str | bytes]) -> tuple[str, str]:
    """(main, a commit on it that changes `contents`), main still checked out at `top`."""
    old = rev(top, "main")
    git(top, "switch", "-q", "-c", "work")
    new = commit_files(top, contents, "Forward")
    git(top, "switch", "-q", "main")
    return old, new


def test_advance_branch_brings_the_checkout_forward_and_keeps_other_work(
    top: Path, repo: Repository
) -> None:
    old, new = ahead_of_main(top, {"dir/b.txt": "bee\nhive\n", "new.txt": "new\n"})
    (top / "a.txt").write_text("mine, not committed\n")

    repo.advance_branch("main", new, old)
    assert rev(top, "main") == new
    assert (top / "new.txt").read_text() == "new\n"  # the checkout came forward
    assert (top / "a.txt").read_text() == "mine, not committed\n"  # and kept my work
    assert git(top, "status", "--porcelain") == " M a.txt\n"
    with pytest.raises(RefMoved):  # read as `old`, but it is `new` now
        repo.advance_branch("main", new, old)


def test_advance_branch_refuses_to_touch_uncommitted_work_and_moves_nothing(
    top: Path, repo: Repository
) -> None:
    old, new = ahead_of_main(top, {"a.txt": "theirs\n", "fresh.txt": "fresh\n"})
    (top / "a.txt").write_text("mine\n")
    (top / "fresh.txt").write_text("mine too\n")  # untracked, and the commit adds it

    with pytest.raises(CheckoutBlocked, match=r"uncommitted changes in .* to a.txt, fresh.txt"):
        repo.advance_branch("main", new, old)
    assert rev(top, "main") == old
    assert (top / "a.txt").read_text() == "mine\n"
    assert (top / "fresh.txt").read_text() == "mine too\n"


def test_advance_branch_asks_about_the_paths_it_touches_by_their_names(
    top: Path, repo: Repository
) -> None:
    """Only the paths the landing touches are asked about, each by its literal name: an
    untracked `:b[1].txt` the commit adds blocks (read as a pathspec, a leading colon is
    magic and the name an error), a rename staged onto a touched path blocks, other
    uncommitted work does not."""
    old = rev(top, "main")
    tree = repo.tree_with_file(
        repo.tree_with_file(old, ":b[1].txt", "theirs\n"), "moved.txt", "x\n"
    )
    new = repo.commit_tree(tree, [old], "Forward\n")
    (top / ":b[1].txt").write_text("mine\n")
    (top / "dir/b.txt").write_text("mine, and the commit does not touch it\n")
    with pytest.raises(CheckoutBlocked, match=r"to :b\[1\]\.txt$"):
        repo.advance_branch("main", new, old)
    (top / ":b[1].txt").unlink()
    git(top, "mv", "a.txt", "moved.txt")
    with pytest.raises(CheckoutBlocked, match=r"to moved\.txt$"):
        repo.advance_branch("main", new, old)
    git(top, "mv", "moved.txt", "a.txt")
    repo.advance_branch("main", new, old)
    assert rev(top, "main") == new
    assert (top / "dir/b.txt").read_text() == "mine, and the commit does not touch it\n"


def test_advance_branch_moves_a_branch_checked_out_nowhere_by_its_ref(
    top: Path, repo: Repository
) -> None:
    old = rev(top, "main")
    git(top, "switch", "-q", "--detach")
    (top / "a.txt").write_text("dirty, and the commit touches it\n")
    new = repo.commit_tree(repo.tree_with_file(old, "a.txt", "new\n"), [old], "New\n")
    repo.advance_branch("main", new, old)
    assert rev(top, "main") == new
    assert (top / "a.txt").read_text() == "dirty, and the commit touches it\n"


def test_commit_paths_commits_exactly_the_paths_that_changed(top: Path, repo: Repository) -> None:
    before = rev(top, "main")
    (top / "dir/b.txt").write_text("staged by me\n")
    git(top, "add", "dir/b.txt")
    (top / "a.txt").write_text("one\ntwo\nthree\n")
    (top / "log.md").write_text("a log\n")
    seen: list[list[str]] = []

    def message(paths: list[str]) -> str:
        seen.append(paths)
        return f"Record {', '.join(paths)}\n"

    commit = repo.commit_paths(["a.txt", "log.md"], message)
    assert commit == rev(top, "HEAD") and commit != before
    assert seen == [["a.txt", "log.md"]]
    assert git(top, "log", "-1", "--format=%s") == "Record a.txt, log.md\n"
    assert git(top, "diff", "--name-only", before, "HEAD").split() == ["a.txt", "log.md"]
    assert git(top, "diff", "--cached", "--name-only").split() == ["dir/b.txt"]  # still staged
    assert repo.commit_paths(["a.txt"], message) is None  # nothing changed: no commit
    assert rev(top, "HEAD") == commit


def test_staged_files_are_the_staged_texts_of_added_and_modified_files(
    top: Path, repo: Repository
) -> None:
    commit_files(top, {"corpus/a.md": "a\n", "corpus/gone.md": "g\n", "corpus/old.md": "o\n"})
    (top / "corpus/a.md").write_text("staged a\n")
    (top / "corpus/new.md").write_bytes(b"new\r\nline\n")
    (top / "corpus/gone.md").unlink()
    git(top, "mv", "corpus/old.md", "corpus/moved.md")
    git(top, "add", "--all", "corpus")
    (top / "corpus/a.md").write_text("on disk only\n")  # not staged: not what is read
    (top / "outside.md").write_text("x\n")
    git(top, "add", "outside.md")
    assert sorted(repo.staged_files("corpus")) == [
        ("corpus/a.md", "staged a\n"),
        ("corpus/moved.md", "o\n"),
        ("corpus/new.md", "new\nline\n"),
    ]


def test_a_remote_whose_path_holds_401_or_403_is_not_taken_for_authentication() -> None:
    """A temporary directory named pytest-403 made an unreachable remote read as a refused
    password; only a status git reports as one counts."""
    from agentgit.core.errors import RemoteAuth
    from agentgit.git.remote import network_failure

    missing = "fatal: '/tmp/pytest-403/r-401.git' does not appear to be a git repository\n"
    assert not isinstance(network_failure("fetch from", "origin", missing), RemoteAuth)
    port = "fatal: unable to access 'http://127.0.0.1:40317/x/': Failed to connect\n"
    assert not isinstance(network_failure("fetch from", "origin", port), RemoteAuth)
    for said in (
        "fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403\n",
        "error: RPC failed; HTTP 401 curl 22 The requested URL returned error: 401\n",
    ):
        assert isinstance(network_failure("push to", "origin", said), RemoteAuth), said
