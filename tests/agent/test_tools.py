"""The nine tools against a real session worktree (DESIGN §3).

Every bad input comes back as an is_error result with a clear message and writes
nothing; the good paths write what they say and make exactly one commit each; and a
property test throws random calls at the toolbox to check that nothing outside
corpus/ is ever read or written and that only Keep/Discard ever escape.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgit.agent.tooldefs import JUDGE_TOOLS, LIST_PAGE, TOOL_NAMES
from agentgit.agent.tools import Discard, Keep, Toolbox, ToolResult
from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.git import Repository
from agentgit.lifecycle import Session, start

SECRET = "TOPSECRET-7f3a"
MAX_BODY = 2_000
DRAFT_BODY = "Memory is a river.\n\nA river forgets what it carried.\n"


# -- fixtures and helpers ------------------------------------------------------------


def commit_piece(top: Path, slug: str, text: str, message: str) -> None:
    path = top / "corpus" / "pieces" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    git(top, "add", "--", str(path))
    git(top, "commit", "-q", "--no-verify", "-m", message)


def new_session(top: Path, topic: str = "Memory and forgetting") -> Session:
    return start(Repository.discover(top), Settings(), topic=topic, model_name="scripted")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the repository with a file no tool may read or write."""
    path = tmp_path / "outside"
    path.mkdir()
    (path / "secret.md").write_text(f"---\ntitle: {SECRET}\n---\n\n{SECRET} classified\n", "utf-8")
    return path


@pytest.fixture
def session(corpus_repo: Path) -> Session:
    return new_session(corpus_repo)


@pytest.fixture
def toolbox(session: Session) -> Toolbox:
    return Toolbox(session, max_body_chars=MAX_BODY)


@pytest.fixture
def drafted(toolbox: Toolbox) -> Toolbox:
    """A toolbox whose session already has the draft drafts/memory.md."""
    result = toolbox.call("write_draft", {"slug": "memory", "title": "Memory", "body": DRAFT_BODY})
    assert not result.is_error, result.text
    return toolbox


def wt(toolbox: Toolbox) -> Path:
    return toolbox.workspace.worktree  # type: ignore[attr-defined]


def on_disk(toolbox: Toolbox, rel: str) -> Path:
    """corpus/<rel> in the session's worktree, its folders made: the sparse worktree
    checks out only drafts and the journal, so a file a person puts anywhere else there
    needs its folder first (and is then seen over the session's tree, as in a checkout)."""
    path = wt(toolbox) / "corpus" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def shown(worktree: Path, rel: str) -> str:
    """corpus/<rel> as the session's last commit has it (the worktree does not)."""
    return git(worktree, "show", f"HEAD:corpus/{rel}")


def commit_count(worktree: Path) -> int:
    return int(git(worktree, "rev-list", "--count", "HEAD").strip())


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file and link under root (content hash, link target), not following links."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [
            d for d in dirnames if os.path.normpath(os.path.join(rel_dir, d)) not in skip
        ]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if os.path.islink(full):
                found[rel] = "link:" + os.readlink(full)
            else:
                found[rel] = hashlib.sha1(Path(full).read_bytes()).hexdigest()
    return found


@contextmanager
def writes_nothing(toolbox: Toolbox, outside: Path | None = None) -> Iterator[None]:
    """No commit, no file changed in the worktree, nothing changed outside."""
    tree = wt(toolbox)
    before = (
        git(tree, "rev-parse", "HEAD"),
        snapshot(tree),
        snapshot(outside) if outside else None,
    )
    yield
    after = (git(tree, "rev-parse", "HEAD"), snapshot(tree), snapshot(outside) if outside else None)
    assert after == before


def last_commit(worktree: Path) -> tuple[str, str, dict[str, str], list[str]]:
    """(subject, body without trailers, trailers, changed paths) of the session's HEAD."""
    subject = git(worktree, "log", "-1", "--format=%s").strip()
    body = git(worktree, "log", "-1", "--format=%b")
    trailers = dict(
        line.split(": ", 1)
        for line in git(worktree, "log", "-1", "--format=%(trailers:only,unfold)").splitlines()
        if line
    )
    prose = "\n".join(line for line in body.splitlines() if not line.startswith("Agentgit-"))
    changed = git(worktree, "show", "--name-only", "--format=", "HEAD").split()
    return subject, prose.strip(), trailers, changed


def err(result: ToolResult) -> str:
    assert isinstance(result, ToolResult)
    assert result.is_error, f"expected an error, got: {result.text[:300]}"
    assert result.commit is None
    return result.text


# -- bad input -----------------------------------------------------------------------

BAD_INPUTS: list[tuple[str, Any, str]] = [
    # unknown tools
    ("rm_rf", {}, "unknown tool 'rm_rf'"),
    ("", {}, "unknown tool"),
    ("Read", {"path": "PROGRAM.md"}, "unknown tool"),
    # input that is not an object
    ("read", ["PROGRAM.md"], "input must be a JSON object"),
    ("read", "PROGRAM.md", "input must be a JSON object"),
    ("read", None, "input must be a JSON object"),
    ("write_draft", 42, "input must be a JSON object"),
    ("note", "just text", "input must be a JSON object"),
    # missing required fields, tool by tool
    ("read", {}, "missing required field 'path'"),
    ("search", {}, "missing required field 'query'"),
    ("history", {}, "missing required field 'path'"),
    ("write_draft", {"title": "T", "body": "b"}, "missing required field 'slug'"),
    ("write_draft", {"slug": "t", "body": "b"}, "missing required field 'title'"),
    ("write_draft", {"slug": "t", "title": "T"}, "missing required field 'body'"),
    ("edit_draft", {"old": "river", "new": "sea"}, "missing required field 'slug'"),
    ("edit_draft", {"slug": "memory", "new": "sea"}, "missing required field 'old'"),
    ("edit_draft", {"slug": "memory", "old": "Memory is"}, "missing required field 'new'"),
    ("note", {}, "missing required field 'text'"),
    ("crystallize", {"summary": "done"}, "slugs must be a non-empty list"),
    ("crystallize", {"slugs": ["memory"]}, "missing required field 'summary'"),
    ("abandon", {"summary": "s"}, "missing required field 'reason'"),
    ("abandon", {"reason": "r"}, "missing required field 'summary'"),
    # wrong types
    ("read", {"path": 3}, "field 'path' must be a string"),
    ("history", {"path": ["pieces"]}, "field 'path' must be a string"),
    ("search", {"query": ["river"]}, "field 'query' must be a string"),
    ("search", {"query": "river", "limit": "5"}, "limit must be an integer"),
    ("search", {"query": "river", "limit": 0}, "limit must be an integer"),
    ("search", {"query": "river", "limit": 51}, "limit must be an integer"),
    ("search", {"query": "river", "limit": True}, "limit must be an integer"),
    ("search", {"query": "river", "limit": 2.5}, "limit must be an integer"),
    ("search", {"query": "   "}, "query is empty"),
    ("list_pieces", {"tag": 7}, "field 'tag' must be a string"),
    ("write_draft", {"slug": "t", "title": 5, "body": "b"}, "field 'title' must be a string"),
    ("write_draft", {"slug": "t", "title": "T", "body": ["b"]}, "field 'body' must be"),
    ("write_draft", {"slug": 5, "title": "T", "body": "b"}, "field 'slug' must be a string"),
    ("write_draft", {"slug": "t", "title": "T", "body": "b", "tags": {"a": 1}}, "tags"),
    ("write_draft", {"slug": "t", "title": "T", "body": "b", "summary": ["x"]}, "summary"),
    ("write_draft", {"slug": "t", "title": "   ", "body": "b"}, "title is required"),
    ("write_draft", {"slug": "t", "title": "T" * 201, "body": "b"}, "title too long"),
    ("edit_draft", {"slug": "memory", "old": 1, "new": "x"}, "field 'old' must be a string"),
    ("edit_draft", {"slug": "memory", "old": "river.", "new": None}, "field 'new'"),
    ("note", {"text": {"a": 1}}, "field 'text' must be a string"),
    ("note", {"text": "  \n "}, "note: text is empty"),
    ("crystallize", {"slugs": 5, "summary": "s"}, "slugs must be a non-empty list"),
    ("crystallize", {"slugs": [1], "summary": "s"}, "bad slug"),
    ("crystallize", {"slugs": ["memory"], "summary": 3}, "field 'summary' must be a string"),
    ("abandon", {"reason": 1, "summary": "s"}, "field 'reason' must be a string"),
    # paths that leave corpus/
    ("read", {"path": "../agentgit.toml"}, "'..' is not allowed"),
    ("read", {"path": "pieces/../../agentgit.toml"}, "'..' is not allowed"),
    ("read", {"path": ".."}, "'..' is not allowed"),
    ("read", {"path": "corpus/../hooks/pre-commit"}, "'..' is not allowed"),
    ("read", {"path": "/etc/passwd"}, "is absolute"),
    ("read", {"path": "//etc/passwd"}, "is absolute"),
    ("read", {"path": "~/.bashrc"}, "is absolute"),
    ("read", {"path": "~"}, "is absolute"),
    ("read", {"path": "PROGRAM.md\0.txt"}, "NUL"),
    ("read", {"path": "pieces\\..\\..\\agentgit.toml"}, "characters a corpus path cannot have"),
    ("read", {"path": ""}, "path is empty"),
    ("read", {"path": "pieces/none.md"}, "no file 'pieces/none.md'"),
    ("read", {"path": "pieces"}, "no file"),
    ("history", {"path": "../agentgit.toml"}, "'..' is not allowed"),
    ("history", {"path": "/etc/passwd"}, "is absolute"),
    ("history", {"path": "~root"}, "is absolute"),
    ("history", {"path": "a\0b"}, "NUL"),
    ("history", {"path": "log\\x"}, "characters a corpus path cannot have"),
    # bad slugs
    ("write_draft", {"slug": "Memory", "title": "T", "body": "b"}, "bad slug 'Memory'"),
    ("write_draft", {"slug": "two words", "title": "T", "body": "b"}, "bad slug"),
    ("write_draft", {"slug": "../x", "title": "T", "body": "b"}, "bad slug '../x'"),
    ("write_draft", {"slug": "a" * 65, "title": "T", "body": "b"}, "bad slug"),
    ("write_draft", {"slug": "", "title": "T", "body": "b"}, "bad slug ''"),
    ("write_draft", {"slug": "-lead", "title": "T", "body": "b"}, "bad slug"),
    ("write_draft", {"slug": "x.md", "title": "T", "body": "b"}, "bad slug"),
    ("edit_draft", {"slug": "../memory", "old": "river", "new": "sea"}, "bad slug"),
    ("crystallize", {"slugs": ["../../etc"], "summary": "s"}, "bad slug"),
    # oversized text
    (
        "write_draft",
        {"slug": "big", "title": "T", "body": "x" * (MAX_BODY + 1)},
        f"the limit is {MAX_BODY:,}",
    ),
    ("note", {"text": "x" * (MAX_BODY + 1)}, f"over {MAX_BODY:,} characters"),
    (
        "edit_draft",
        {"slug": "memory", "old": "Memory is", "new": "x" * (MAX_BODY + 5000)},
        "would exceed",
    ),
    # text no file should hold
    ("write_draft", {"slug": "t", "title": "T", "body": "a\0b"}, "NUL"),
    ("note", {"text": "a\0b"}, "NUL"),
    ("write_draft", {"slug": "t", "title": "T", "body": "a\ud800b"}, "not valid Unicode"),
    ("write_draft", {"slug": "t", "title": "T", "body": "b", "tags": ["\ud800"]}, "write_draft: "),
    # edits that cannot be made
    ("edit_draft", {"slug": "memory", "old": "ocean", "new": "sea"}, "not in drafts/memory.md"),
    ("edit_draft", {"slug": "memory", "old": "", "new": "sea"}, "old is empty"),
    ("edit_draft", {"slug": "memory", "old": "river", "new": "sea"}, "occurs 2 times"),
    ("edit_draft", {"slug": "ghost", "old": "a", "new": "b"}, "no draft 'ghost'"),
    (
        "edit_draft",
        {"slug": "memory", "old": "title: Memory", "new": "title: [broken"},
        "would break the draft",
    ),
    (
        "edit_draft",
        {"slug": "memory", "old": "---\n\nMemory is", "new": "\nMemory is"},
        "would break the draft",
    ),
    (
        "edit_draft",
        {"slug": "memory", "old": "title: Memory", "new": "title: [a, b]"},
        "would break the draft",
    ),
    (
        "edit_draft",
        {"slug": "memory", "old": "title: Memory", "new": "titel: Memory"},
        "missing title",
    ),
    # judging without grounds
    ("crystallize", {"slugs": [], "summary": "s"}, "non-empty list"),
    ("crystallize", {"slugs": ["ghost"], "summary": "s"}, "no draft ghost"),
    ("crystallize", {"slugs": ["memory", "ghost"], "summary": "s"}, "no draft ghost"),
    ("abandon", {"reason": "", "summary": "s"}, "reason is empty"),
    ("abandon", {"reason": " \n\t", "summary": "s"}, "reason is empty"),
]


@pytest.mark.parametrize(
    ("tool", "tool_input", "message"),
    BAD_INPUTS,
    ids=[f"{i}-{c[0] or 'empty'}" for i, c in enumerate(BAD_INPUTS)],
)
def test_bad_input_is_an_error_result_and_writes_nothing(
    drafted: Toolbox, outside: Path, tool: str, tool_input: Any, message: str
) -> None:
    with writes_nothing(drafted, outside):
        text = err(drafted.call(tool, tool_input, "some reasoning"))
    assert message in text


def test_every_tool_names_itself_or_the_field_in_its_errors(toolbox: Toolbox) -> None:
    for name in TOOL_NAMES:
        if name == "list_pieces":
            continue  # no required field
        text = err(toolbox.call(name, {}))
        assert any(word in text for word in ("missing required field", "slugs")), text


def test_error_results_are_bounded(toolbox: Toolbox) -> None:
    toolbox.max_result_chars = 200
    for name, args in [
        ("read", {"path": "../" + "x" * 5000}),
        ("x" * 5000, {}),
        ("note", {"text": "x" * 100_000}),
    ]:
        text = err(toolbox.call(name, args))
        assert len(text) < 300
        assert "[…cut at 200 of" in text or len(text) <= 200


def test_a_tool_not_allowed_this_turn(drafted: Toolbox, outside: Path) -> None:
    drafted.allowed = JUDGE_TOOLS
    with writes_nothing(drafted, outside):
        for name, args in [
            ("write_draft", {"slug": "x", "title": "X", "body": "b"}),
            ("note", {"text": "n"}),
            ("read", {"path": "PROGRAM.md"}),
            ("list_pieces", {}),
        ]:
            text = err(drafted.call(name, args))
            assert f"{name} is not available now" in text
            assert "crystallize or abandon" in text
    with pytest.raises(Keep):
        drafted.call("crystallize", {"slugs": ["memory"], "summary": "done"})


def test_path_too_long_for_the_file_system(toolbox: Toolbox, outside: Path) -> None:
    with writes_nothing(toolbox, outside):
        text = err(toolbox.call("read", {"path": "x" * 300}))
    assert "too long" in text.lower()
    assert str(wt(toolbox)) not in text  # no absolute path leaks to the model


# -- symbolic links ------------------------------------------------------------------


def test_symlinked_piece_pointing_outside_is_never_read(corpus_repo: Path, outside: Path) -> None:
    # Committed by a person on main, so git grep (search's prefilter) lists the link.
    pieces = corpus_repo / "corpus" / "pieces"
    (pieces / "leak.md").symlink_to(outside / "secret.md")
    (pieces / "up.md").symlink_to("../../agentgit.toml")
    git(corpus_repo, "add", "corpus/pieces")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "Link a secret")
    toolbox = Toolbox(new_session(corpus_repo))
    # The link is in the session's tree (read from git objects), not checked out.
    assert git(wt(toolbox), "ls-tree", "HEAD", "corpus/pieces/leak.md").startswith("120000 ")
    assert not (wt(toolbox) / "corpus" / "pieces" / "leak.md").is_symlink()
    with writes_nothing(toolbox, outside):
        assert "points outside corpus/" in err(toolbox.call("read", {"path": "pieces/leak.md"}))
        assert "points outside corpus/" in err(toolbox.call("read", {"path": "pieces/up.md"}))
        assert "points outside" in err(toolbox.call("history", {"path": "pieces/leak.md"}))
        listed = toolbox.call("list_pieces", {})
        found = toolbox.call("search", {"query": "classified secret outside"})
    revision = toolbox.call("write_draft", {"slug": "leak", "title": "T", "body": "b"})
    for result in (listed, found):
        assert not result.is_error
        assert SECRET not in result.text
        assert "leak" not in result.text
    # The link is not taken for a piece to revise: the draft starts afresh.
    assert "revision" not in revision.text and not revision.is_error


def test_symlinked_directory_pointing_outside(toolbox: Toolbox, outside: Path) -> None:
    on_disk(toolbox, "elsewhere").symlink_to(outside, target_is_directory=True)
    with writes_nothing(toolbox, outside):
        text = err(toolbox.call("read", {"path": "elsewhere/secret.md"}))
    assert "points outside corpus/" in text
    assert SECRET not in text


def test_symlinked_draft_is_never_written_through(toolbox: Toolbox, outside: Path) -> None:
    on_disk(toolbox, "drafts/evil.md").symlink_to(outside / "secret.md")
    with writes_nothing(toolbox, outside):
        for name, args in [
            ("write_draft", {"slug": "evil", "title": "T", "body": "PWNED"}),
            ("edit_draft", {"slug": "evil", "old": "body", "new": "PWNED"}),
            ("crystallize", {"slugs": ["evil"], "summary": "s"}),
        ]:
            text = err(toolbox.call(name, args))
            assert "symbolic link" in text
            assert SECRET not in text


def test_symlinked_drafts_directory_is_never_written_through(
    toolbox: Toolbox, outside: Path
) -> None:
    on_disk(toolbox, "drafts").symlink_to(outside, target_is_directory=True)
    with writes_nothing(toolbox, outside):
        text = err(toolbox.call("write_draft", {"slug": "new", "title": "T", "body": "b"}))
    assert "symbolic link" in text
    assert not (outside / "new.md").exists()


def test_symlinked_journal_is_never_written_through(toolbox: Toolbox, outside: Path) -> None:
    session: Session = toolbox.workspace  # type: ignore[assignment]
    on_disk(toolbox, session.log_rel).symlink_to(outside / "secret.md")
    with writes_nothing(toolbox, outside):
        assert "symbolic link" in err(toolbox.call("note", {"text": "hello"}))


def test_symlink_loop_is_an_error_not_a_crash(toolbox: Toolbox, outside: Path) -> None:
    on_disk(toolbox, "pieces/loop.md").symlink_to("loop.md")
    with writes_nothing(toolbox, outside):
        assert "cannot be resolved" in err(toolbox.call("read", {"path": "pieces/loop.md"}))
        assert "cannot be resolved" in err(toolbox.call("history", {"path": "pieces/loop.md"}))
        assert not toolbox.call("list_pieces", {}).is_error
        assert not toolbox.call("search", {"query": "loop"}).is_error


def test_symlink_inside_the_corpus_may_be_read(toolbox: Toolbox) -> None:
    on_disk(toolbox, "pieces/alias.md").symlink_to("../PROGRAM.md")
    result = toolbox.call("read", {"path": "pieces/alias.md"})
    assert not result.is_error
    assert result.text == shown(wt(toolbox), "PROGRAM.md")


def test_links_in_the_sessions_tree_obey_the_same_rules(corpus_repo: Path, outside: Path) -> None:
    """Links committed on main are read from git objects, never from disk: one inside the
    corpus is followed, a loop, an absolute target and a folder out of it are refused."""
    corpus_dir = corpus_repo / "corpus"
    (corpus_dir / "pieces" / "alias.md").symlink_to("../PROGRAM.md")
    (corpus_dir / "pieces" / "loop.md").symlink_to("loop.md")
    (corpus_dir / "pieces" / "abs.md").symlink_to(corpus_dir / "PROGRAM.md")
    (corpus_dir / "elsewhere").symlink_to(outside, target_is_directory=True)
    (corpus_dir / "here").symlink_to("pieces", target_is_directory=True)
    git(corpus_repo, "add", "corpus")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "Links")
    toolbox = Toolbox(new_session(corpus_repo))
    assert not (wt(toolbox) / "corpus" / "pieces").exists()  # nothing of it on disk
    program = shown(wt(toolbox), "PROGRAM.md")
    with writes_nothing(toolbox, outside):
        assert toolbox.call("read", {"path": "pieces/alias.md"}).text.startswith(program)
        assert toolbox.call("read", {"path": "here/alias.md"}).text.startswith(program)
        assert "cannot be resolved" in err(toolbox.call("read", {"path": "pieces/loop.md"}))
        assert "points outside" in err(toolbox.call("read", {"path": "pieces/abs.md"}))
        text = err(toolbox.call("read", {"path": "elsewhere/secret.md"}))
        assert "points outside corpus/" in text and SECRET not in text
        listed = toolbox.call("list_pieces", {})
    assert not listed.is_error and "abs" not in listed.text and "loop" not in listed.text


def test_a_draft_that_is_not_utf8(toolbox: Toolbox, outside: Path) -> None:
    on_disk(toolbox, "drafts/bin.md").write_bytes(b"---\ntitle: x\n---\n\n\xff\xfe body\n")
    with writes_nothing(toolbox, outside):
        assert "UTF-8" in err(toolbox.call("edit_draft", {"slug": "bin", "old": "x", "new": "y"}))
        assert "UTF-8" in err(toolbox.call("crystallize", {"slugs": ["bin"], "summary": "s"}))
        assert "UTF-8" in err(toolbox.call("read", {"path": "drafts/bin.md"}))


def test_nul_or_surrogate_in_the_reasoning_does_not_break_the_commit(toolbox: Toolbox) -> None:
    result = toolbox.call("note", {"text": "a note"}, "why:\0 because \ud800 so")
    assert not result.is_error, result.text
    _, body, _, _ = last_commit(wt(toolbox))
    assert body.startswith("why: because")


# -- good paths ----------------------------------------------------------------------


def test_write_draft_creates_a_normalised_draft_in_one_commit(toolbox: Toolbox) -> None:
    tree = wt(toolbox)
    session: Session = toolbox.workspace  # type: ignore[assignment]
    before = commit_count(tree)
    toolbox.turn = 3
    result = toolbox.call(
        "write_draft",
        {
            "slug": "memory",
            "title": "  Memory\n and   forgetting ",
            "body": DRAFT_BODY,
            "summary": "What a river keeps.",
            "tags": "Water, memory ,water",
        },
        "A first pass at the image of the river.",
    )
    assert not result.is_error, result.text
    assert commit_count(tree) == before + 1
    path = tree / "corpus" / "drafts" / "memory.md"
    piece = formats.parse_piece(path.read_text("utf-8"), "drafts/memory.md")
    assert piece.title == "Memory and forgetting"
    assert piece.summary == "What a river keeps."
    assert piece.tags == ["water", "memory"]
    assert piece.created == piece.updated == session.today
    assert piece.sessions == [session.session]
    assert piece.body == DRAFT_BODY.strip()
    subject, body, trailers, changed = last_commit(tree)
    lines = path.read_text("utf-8").count("\n")
    assert subject == f"Add drafts/memory.md (+{lines})"
    assert result.commit == subject
    assert subject in result.text
    assert body == "A first pass at the image of the river."
    assert trailers == {
        "Agentgit-Session": session.id,
        "Agentgit-Turn": "3",
        "Agentgit-Tool": "write_draft",
    }
    assert changed == ["corpus/drafts/memory.md"]
    assert git(tree, "status", "--porcelain").strip() == ""


def test_write_draft_again_replaces_and_an_identical_write_commits_nothing(
    drafted: Toolbox,
) -> None:
    tree = wt(drafted)
    before = commit_count(tree)
    args = {"slug": "memory", "title": "Memory", "body": "A shorter river.\n"}
    result = drafted.call("write_draft", args)
    assert not result.is_error
    assert commit_count(tree) == before + 1
    assert last_commit(tree)[0].startswith("Edit drafts/memory.md (+1 -")
    again = drafted.call("write_draft", args)
    assert not again.is_error
    assert again.commit is None and "no change" in again.text
    assert commit_count(tree) == before + 1


def test_write_draft_of_an_existing_piece_keeps_created_and_adds_the_session(
    corpus_repo: Path,
) -> None:
    commit_piece(
        corpus_repo,
        "tides",
        "---\ntitle: Tides\nsummary: The pull\ntags: [sea]\ncreated: 2020-05-01\n"
        "updated: 2021-01-01\nsessions: [3]\n---\n\nThe moon pulls.\n",
        "Add a piece by hand",
    )
    session = new_session(corpus_repo)
    toolbox = Toolbox(session)
    result = toolbox.call(
        "write_draft",
        {
            "slug": "tides",
            "title": "Tides, revised",
            "body": "The moon pulls, and the sea answers.\n",
        },
    )
    assert not result.is_error, result.text
    assert "revision of pieces/tides" in result.text
    draft = formats.parse_piece(
        (session.corpus_dir / "drafts" / "tides.md").read_text("utf-8"), "drafts/tides.md"
    )
    assert str(draft.created) == "2020-05-01"
    assert draft.updated == session.today
    assert draft.sessions == sorted({3, session.session})
    assert draft.title == "Tides, revised"
    # The piece itself is untouched until the session is kept.
    assert "The moon pulls.\n" in shown(session.worktree, "pieces/tides.md")


def test_edit_draft_commits(drafted: Toolbox) -> None:
    tree = wt(drafted)
    before = commit_count(tree)
    drafted.turn = 5
    result = drafted.call(
        "edit_draft",
        {"slug": "memory", "old": "forgets what it carried", "new": "keeps the shape of its bed"},
        "The river should keep, not forget.",
    )
    assert not result.is_error, result.text
    assert commit_count(tree) == before + 1
    text = (tree / "corpus" / "drafts" / "memory.md").read_text("utf-8")
    assert "keeps the shape of its bed" in text and "forgets" not in text
    subject, body, trailers, changed = last_commit(tree)
    assert subject == "Edit drafts/memory.md (+1 -1)" == result.commit
    assert body == "The river should keep, not forget."
    assert trailers["Agentgit-Tool"] == "edit_draft"
    assert trailers["Agentgit-Turn"] == "5"
    assert changed == ["corpus/drafts/memory.md"]


def test_edit_draft_may_change_the_frontmatter_when_it_stays_valid(drafted: Toolbox) -> None:
    result = drafted.call(
        "edit_draft", {"slug": "memory", "old": "title: Memory", "new": "title: Memory, again"}
    )
    assert not result.is_error, result.text
    draft = formats.parse_piece(
        (wt(drafted) / "corpus" / "drafts" / "memory.md").read_text("utf-8"), "d"
    )
    assert draft.title == "Memory, again"


def test_note_appends_to_the_log_entry_and_commits(toolbox: Toolbox) -> None:
    tree = wt(toolbox)
    session: Session = toolbox.workspace  # type: ignore[assignment]
    before = commit_count(tree)
    first = toolbox.call("note", {"text": "Tried the river image."}, "Writing it down.")
    second = toolbox.call("note", {"text": "It did not pull; the sea might."})
    assert not first.is_error and not second.is_error
    assert commit_count(tree) == before + 2
    text = session.journal_path().read_text("utf-8")
    entry = formats.parse_log_entry(text, session.log_rel)
    assert entry.session == session.session
    assert entry.outcome is None
    assert entry.body.index("Tried the river image.") < entry.body.index("It did not pull")
    subject, body, trailers, changed = last_commit(tree)
    assert subject == f"Edit {session.log_rel} (+2)"
    assert trailers["Agentgit-Tool"] == "note"
    assert changed == [f"corpus/{session.log_rel}"]
    assert body == ""  # the second note had no reasoning


def test_read_returns_pieces_log_entries_drafts_and_the_program(corpus_repo: Path) -> None:
    commit_piece(corpus_repo, "tides", "---\ntitle: Tides\n---\n\nThe moon pulls.\n", "Piece")
    session = new_session(corpus_repo)
    toolbox = Toolbox(session)
    assert not toolbox.call("write_draft", {"slug": "d", "title": "D", "body": "Draft."}).is_error
    assert not toolbox.call("note", {"text": "A note."}).is_error
    before = commit_count(session.worktree)
    cases = {
        "pieces/tides.md": "The moon pulls.",
        "corpus/pieces/tides.md": "The moon pulls.",
        "./pieces//tides.md": "The moon pulls.",
        session.log_rel: "A note.",
        "drafts/d.md": "Draft.",
        "PROGRAM.md": shown(session.worktree, "PROGRAM.md")[:200],
    }
    for path, expected in cases.items():
        result = toolbox.call("read", {"path": path})
        assert not result.is_error, (path, result.text)
        assert expected in result.text
        assert result.commit is None
    assert commit_count(session.worktree) == before


def test_read_output_is_cut_at_the_result_bound(toolbox: Toolbox) -> None:
    toolbox.max_result_chars = 100
    result = toolbox.call("read", {"path": "PROGRAM.md"})
    assert not result.is_error
    assert result.text.startswith(shown(wt(toolbox), "PROGRAM.md")[:100])
    assert "[…cut at 100 of" in result.text


def test_search_finds_a_passage(corpus_repo: Path) -> None:
    commit_piece(
        corpus_repo,
        "tides",
        "---\ntitle: Tides\n---\n\nThe moon pulls the water.\n\nNothing else.\n",
        "Piece",
    )
    session = new_session(corpus_repo)
    toolbox = Toolbox(session)
    assert not toolbox.call(
        "write_draft", {"slug": "memory", "title": "Memory", "body": DRAFT_BODY}
    ).is_error
    before = commit_count(session.worktree)
    result = toolbox.call("search", {"query": "the moon"})
    assert not result.is_error
    assert result.text.startswith("pieces/tides.md:5 ")
    assert "The moon pulls the water." in result.text
    river = toolbox.call("search", {"query": "river", "limit": 1})
    assert river.text.startswith("drafts/memory.md:")
    assert river.text.count("(score") == 1
    none = toolbox.call("search", {"query": "xylophone"})
    assert not none.is_error and "no passages match" in none.text
    assert commit_count(session.worktree) == before


def test_history_shows_diffs_of_a_piece_changed_on_main(corpus_repo: Path) -> None:
    commit_piece(corpus_repo, "tides", "---\ntitle: Tides\n---\n\nThe moon pulls.\n", "First tides")
    commit_piece(
        corpus_repo, "tides", "---\ntitle: Tides\n---\n\nThe moon pulls the sea.\n", "Second tides"
    )
    session = new_session(corpus_repo)
    toolbox = Toolbox(session)
    before = commit_count(session.worktree)
    result = toolbox.call("history", {"path": "pieces/tides.md"})
    assert not result.is_error
    assert result.text.index("Second tides") < result.text.index("First tides")
    assert "-The moon pulls.\n+The moon pulls the sea." in result.text
    assert "diff --git a/corpus/pieces/tides.md" in result.text
    empty = toolbox.call("history", {"path": "pieces/never.md"})
    assert not empty.is_error and "no history for 'pieces/never.md'" in empty.text
    assert commit_count(session.worktree) == before


def test_list_pieces_with_and_without_tag(corpus_repo: Path) -> None:
    commit_piece(
        corpus_repo,
        "tides",
        "---\ntitle: Tides\nsummary: The pull\ntags: [sea, moon]\n---\n\nB.\n",
        "1",
    )
    commit_piece(corpus_repo, "rivers", "---\ntitle: Rivers\ntags: [water]\n---\n\nB.\n", "2")
    commit_piece(corpus_repo, "broken", "no frontmatter at all\n", "3")
    session = new_session(corpus_repo)
    toolbox = Toolbox(session)
    before = commit_count(session.worktree)
    everything = toolbox.call("list_pieces", {})
    assert not everything.is_error
    lines = everything.text.splitlines()
    assert "rivers — Rivers [water]" in lines
    assert "tides — Tides — The pull [sea, moon]" in lines
    assert any(line.startswith("(skipped, malformed: corpus/pieces/broken.md") for line in lines)
    sea = toolbox.call("list_pieces", {"tag": "SEA"})
    # A malformed piece that does not name the tag is not parsed, so not reported.
    assert sea.text.splitlines() == ["tides — Tides — The pull [sea, moon]"]
    none = toolbox.call("list_pieces", {"tag": "fire"})
    assert "tides" not in none.text and "rivers" not in none.text
    assert commit_count(session.worktree) == before


def test_list_pieces_pages_through_a_large_corpus(corpus_repo: Path) -> None:
    pieces = corpus_repo / "corpus" / "pieces"
    for i in range(LIST_PAGE * 2 + 5):
        tags = "[sea]" if i % 2 else "[land]"
        (pieces / f"p{i:03d}.md").write_text(f"---\ntitle: P{i}\ntags: {tags}\n---\n\nB.\n")
    (pieces / "p001.md").write_text("broken, and about the sea\n")
    git(corpus_repo, "add", "corpus")
    git(corpus_repo, "commit", "--no-verify", "-q", "-m", "many pieces")
    toolbox = Toolbox(new_session(corpus_repo))
    total = LIST_PAGE * 2 + 5
    first = toolbox.call("list_pieces", {}).text.splitlines()
    assert first[0] == "p000 — P0 [land]"
    assert [line.split()[0] for line in first[: LIST_PAGE - 1]] == [
        f"p{i:03d}" for i in range(LIST_PAGE) if i != 1
    ]  # p001 is broken
    assert first[-1] == (
        f"[1–{LIST_PAGE} of {total}; list_pieces with offset {LIST_PAGE} for more]"
    )
    assert any("malformed: corpus/pieces/p001.md" in line for line in first)
    last = toolbox.call("list_pieces", {"offset": LIST_PAGE * 2}).text.splitlines()
    assert [line.split()[0] for line in last] == [f"p{i:03d}" for i in range(100, 105)]
    past = toolbox.call("list_pieces", {"offset": 500})
    assert not past.is_error and past.text == f"no pieces past 500: there are {total}"
    sea = toolbox.call("list_pieces", {"tag": "sea"}).text.splitlines()
    assert sea[0] == "p003 — P3 [sea]" and all("[land]" not in line for line in sea)
    assert sea[-1] == f"[1–{LIST_PAGE} of {LIST_PAGE + 1}; list_pieces with offset 50 for more]"
    assert any("malformed: corpus/pieces/p001.md" in line for line in sea)  # names the sea
    for bad in (-1, "2", True):
        refused = toolbox.call("list_pieces", {"offset": bad})
        assert refused.is_error and "offset must be an integer" in refused.text


def test_list_pieces_on_an_empty_corpus(toolbox: Toolbox) -> None:
    assert toolbox.call("list_pieces", {}).text == "no pieces yet"
    assert toolbox.call("list_pieces", {"tag": "x"}).text == "no pieces tagged 'x' yet"


def test_crystallize_and_abandon_end_with_their_outcome(drafted: Toolbox) -> None:
    before = commit_count(wt(drafted))
    with pytest.raises(Keep) as kept:
        drafted.call("crystallize", {"slugs": ["memory", "memory"], "summary": " It held. "})
    assert kept.value.slugs == ["memory"]
    assert kept.value.summary == "It held."
    with pytest.raises(Keep) as one:
        drafted.call("crystallize", {"slugs": "memory", "summary": "s"})
    assert one.value.slugs == ["memory"]
    with pytest.raises(Discard) as dropped:
        drafted.call("abandon", {"reason": "  nothing\n pulled ", "summary": "Tried rivers."})
    assert dropped.value.reason == "nothing pulled"
    assert dropped.value.summary == "Tried rivers."
    assert commit_count(wt(drafted)) == before  # judging commits nothing by itself


def test_crystallize_refuses_a_draft_broken_by_hand(drafted: Toolbox) -> None:
    path = wt(drafted) / "corpus" / "drafts" / "memory.md"
    path.write_text("---\ntitle: [\n---\nbody\n", "utf-8")
    assert "bad YAML" in err(drafted.call("crystallize", {"slugs": ["memory"], "summary": "s"}))


# -- property: random calls stay inside corpus/ ---------------------------------------

FIELDS = [
    "path",
    "query",
    "limit",
    "tag",
    "slug",
    "title",
    "body",
    "summary",
    "tags",
    "old",
    "new",
    "text",
    "slugs",
    "reason",
]
NASTY = [
    "",
    " ",
    ".",
    "..",
    "../",
    "../../",
    "/",
    "//",
    "~",
    "~/",
    "~root",
    "\0",
    "a\0b",
    "\\",
    "..\\..\\x",
    "\ud800",
    "PROGRAM.md",
    "corpus/PROGRAM.md",
    "corpus",
    "corpus/..",
    "pieces/leak.md",
    "drafts/evil.md",
    "drafts/seed.md",
    "pieces/loop.md",
    "elsewhere",
    "elsewhere/secret.md",
    "../agentgit.toml",
    "../../../outside/secret.md",
    "/etc/passwd",
    "seed",
    "evil",
    "leak",
    "loop",
    "Seed",
    "seed ",
    "-x",
    "a" * 64,
    "a" * 65,
    "x" * 300,
    "x" * 70_000,
    "Ωμέγα ≈ ∞ 🌊",
    "title: [",
    "---",
    "---\n---",
    "\n",
    "a\nb",
    "SECRET",
    "river",
    "Memory is a river.",
    "null",
    "yes",
    "1e309",
]
SEGMENTS = [
    "..",
    ".",
    "",
    "~",
    "pieces",
    "drafts",
    "log",
    "corpus",
    "elsewhere",
    "seed.md",
    "leak.md",
    "evil.md",
    "loop.md",
    "x" * 300,
    "Ω",
]

strings = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=5).map("/".join),
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(lambda p: "/" + "/".join(p)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    strings,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=4),
    ),
    max_leaves=12,
)
tool_inputs = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
    st.fixed_dictionaries({}, optional={f: json_values for f in FIELDS}),
    json_values,
)
tool_names = st.one_of(st.sampled_from(TOOL_NAMES), st.sampled_from(TOOL_NAMES), strings)
calls = st.lists(
    st.tuples(tool_names, tool_inputs, st.one_of(st.just(""), strings), st.booleans()),
    min_size=1,
    max_size=3,
)


@pytest.fixture
def fuzz(corpus_repo: Path, outside: Path) -> dict[str, Any]:
    """One session for the whole property test, with traps: links out of the corpus, a
    link loop, secrets in the checkout and the worktree."""
    (corpus_repo / "worktree-secret.md").write_text(SECRET, "utf-8")  # untracked
    session = new_session(corpus_repo)
    toolbox = Toolbox(session, max_body_chars=5_000, max_result_chars=4_000)
    assert not toolbox.call(
        "write_draft", {"slug": "seed", "title": "Seed", "body": DRAFT_BODY}
    ).is_error
    on_disk(toolbox, "pieces/leak.md").symlink_to(outside / "secret.md")
    on_disk(toolbox, "pieces/loop.md").symlink_to("loop.md")
    on_disk(toolbox, "drafts/evil.md").symlink_to(outside / "secret.md")
    on_disk(toolbox, "elsewhere").symlink_to(outside, target_is_directory=True)
    (session.worktree / "secret-in-worktree.md").write_text(SECRET, "utf-8")
    status = git(session.worktree, "status", "--porcelain", "--untracked-files=all")
    return {
        "status": [line for line in status.splitlines() if not line[3:].startswith("corpus/")],
        "toolbox": toolbox,
        "top": corpus_repo,
        "outside": outside,
        "base": git(session.worktree, "rev-parse", "HEAD").strip(),
        "main": git(corpus_repo, "rev-parse", "main").strip(),
        "top_files": snapshot(corpus_repo, skip=(".git",)),
        "tree_files": snapshot(session.worktree, skip=("corpus",)),
        "outside_files": snapshot(outside),
    }


# Function-scoped fixtures are built once per test function, not per example: one
# session takes the whole run of random calls, as a real session would.
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=calls)
def test_random_calls_never_crash_or_touch_anything_outside_corpus(
    fuzz: dict[str, Any], batch: list[tuple[Any, Any, str, bool]]
) -> None:
    toolbox: Toolbox = fuzz["toolbox"]
    tree = wt(toolbox)
    for name, tool_input, reasoning, judge_only in batch:
        toolbox.allowed = JUDGE_TOOLS if judge_only else TOOL_NAMES
        try:
            result = toolbox.call(name, tool_input, reasoning)
        except (Keep, Discard):
            continue
        assert isinstance(result, ToolResult)
        assert isinstance(result.text, str) and result.text
        assert SECRET not in result.text
        assert len(result.text) <= toolbox.max_result_chars + 100

    assert snapshot(fuzz["outside"]) == fuzz["outside_files"]
    assert snapshot(tree, skip=("corpus",)) == fuzz["tree_files"]
    assert snapshot(fuzz["top"], skip=(".git",)) == fuzz["top_files"]
    assert git(fuzz["top"], "rev-parse", "main").strip() == fuzz["main"]
    changed = git(tree, "diff", "--name-only", fuzz["base"], "HEAD").split()
    assert all(path.startswith("corpus/") for path in changed), changed
    status = git(tree, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert [line for line in status if not line[3:].startswith("corpus/")] == fuzz["status"]


def test_a_title_of_a_hundred_thousand_characters_is_bounded_in_list_pieces(
    corpus_repo: Path,
) -> None:
    """A piece forged onto main with a huge title (check refuses it; a commit with
    --no-verify does not ask check) fills no list_pieces result."""
    piece = corpus_repo / "corpus" / "pieces" / "long.md"
    piece.write_text(f"---\ntitle: {'t' * 100_000}\n---\n\nBody.\n", "utf-8")
    git(corpus_repo, "add", "corpus/pieces")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "A long title")
    listed = Toolbox(new_session(corpus_repo)).call("list_pieces", {})
    assert not listed.is_error
    assert "long" in listed.text and len(listed.text) < 2_000, len(listed.text)
