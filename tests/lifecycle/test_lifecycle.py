"""The git shape of a session (DESIGN §2), end to end, with real git and the scripted model.

In-process through `agentgit.session.start/run`, and through the command line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from conftest import agentgit, git
from helpers import NOTES, refs, rev, trailers
from scripts import abandon_script, crystallize, draft, edit, keep_script, note, write_script

from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import Result, run, start
from agentgit.models.scripted import ScriptedModel

# -- helpers ------------------------------------------------------------------------


class RecordingModel:
    """A scripted model that records the session worktree's HEAD before every turn: the
    exploration commits as they were made, independent of any ref agentgit keeps."""

    def __init__(self, turns: list[dict[str, Any]], worktree: Path) -> None:
        self.inner = ScriptedModel(turns)
        self.name = self.inner.name
        self.worktree = worktree
        self.heads: list[str] = []

    def complete(self, request: Any, progress: Any = None) -> Any:
        self.heads.append(git(self.worktree, "rev-parse", "HEAD").strip())
        return self.inner.complete(request, progress)


def session_run(
    path: Path,
    turns: list[dict[str, Any]],
    topic: str | None = None,
    record: list[str] | None = None,
) -> Result:
    repo = Repository.discover(path)
    settings = Settings(model="scripted")
    current = start(repo, settings, topic=topic, model_name="scripted")
    model = RecordingModel(turns, current.worktree)
    result = run(repo, current, model, settings)
    if record is not None:
        record += model.heads + [result.head or ""]
    return result


def parents(path: Path, rev: str) -> list[str]:
    return git(path, "rev-list", "--parents", "-n1", rev).split()[1:]


def tree_files(path: Path, rev: str) -> list[str]:
    return git(path, "ls-tree", "-r", "--name-only", rev).split()


def assert_fsck(path: Path) -> None:
    out = git(path, "fsck", "--full", "--no-progress")  # raises on a non-zero exit
    assert "missing" not in out and "broken" not in out, out


def assert_cleaned_up(path: Path, number: int) -> None:
    """The session's branch and worktree are gone; its head is archived."""
    assert not [
        r
        for r in refs(path, "refs/heads/session")
        if r.startswith(f"refs/heads/session/{number:04d}-")
    ]
    worktrees = git(path, "worktree", "list", "--porcelain")
    assert worktrees.count("worktree ") == 1, worktrees
    assert not (path / ".git" / "agentgit" / "worktrees" / f"{number:04d}").exists()
    assert rev(path, f"refs/agentgit/sessions/{number:04d}")


def assert_kept(path: Path, base: str, number: int, slug: str) -> str:
    """Main has the session's --no-ff merge with the piece; everything else of §2 holds."""
    main = rev(path, "main")
    head = rev(path, f"refs/agentgit/sessions/{number:04d}")
    assert parents(path, main) == [base, head]
    subject = git(path, "log", "-1", "--format=%s", "main").strip()
    assert subject.startswith(f"Crystallize session {number:04d}: ")
    t = trailers(path, "main")
    assert t["Agentgit-Session"] == f"{number:04d}"
    assert t["Agentgit-Outcome"] == "crystallized"
    assert t["Agentgit-Pieces"] == slug
    assert t["Agentgit-Head"] == head
    files = tree_files(path, "main")
    assert f"corpus/pieces/{slug}.md" in files
    assert not [f for f in files if f.startswith("corpus/drafts/")]
    (entry,) = [f for f in files if f.startswith(f"corpus/log/{number:04d}-")]
    assert "outcome: crystallized" in git(path, "show", f"main:{entry}")
    assert_cleaned_up(path, number)
    note_text = git(path, "notes", "--ref", NOTES, "show", head)
    transcript = json.loads(note_text)
    assert transcript["session"] == number
    assert any(m["role"] == "assistant" for m in transcript["messages"])
    # The transcript is a note, never part of a commit message or of main's tree.
    ids = [
        b["id"]
        for m in transcript["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_use"
    ]
    assert ids
    # (Each step's commit names the call that made it, in its Agentgit-Call trailer.)
    messages = git(path, "log", "--format=%B", "--all", "--not", NOTES)
    messages = re.sub(r"^Agentgit-Call: .*$", "", messages, flags=re.M)
    assert not [i for i in ids if i in messages]
    assert not [f for f in files if f.endswith(".json")]
    return head


# -- keep ----------------------------------------------------------------------------


def test_keep_in_process(corpus_repo: Path) -> None:
    base = rev(corpus_repo, "main")
    result = session_run(corpus_repo, keep_script("tides"), topic="The tides")
    assert (result.session, result.outcome, result.pieces) == (1, "crystallized", ["tides"])
    head = assert_kept(corpus_repo, base, 1, "tides")
    assert result.head == head and result.main_commit == rev(corpus_repo, "main")
    log = git(corpus_repo, "log", "--first-parent", "--format=%s", "main").splitlines()
    # The subject names the piece kept (its title), not the topic.
    assert log == ["Crystallize session 0001: Tides", "Set up agentgit corpus"]
    piece = git(corpus_repo, "show", "main:corpus/pieces/tides.md")
    assert "title: Tides" in piece and "The moon pulls the sea." in piece
    # main is checked out here: the checkout came forward, clean.
    assert (corpus_repo / "corpus/pieces/tides.md").read_text() == piece
    assert git(corpus_repo, "status", "--porcelain") == ""
    assert_fsck(corpus_repo)


def test_keep_through_the_cli(corpus_repo: Path, tmp_path: Path) -> None:
    base = rev(corpus_repo, "main")
    script = write_script(tmp_path / "keep.jsonl", keep_script("tides"))
    proc = agentgit(corpus_repo, "session", "--model", f"scripted:{script}", "--json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    result = events[-1]
    assert result["event"] == "result"
    assert (result["session"], result["outcome"], result["pieces"]) == (
        1,
        "crystallized",
        ["tides"],
    )
    assert assert_kept(corpus_repo, base, 1, "tides") == result["head"]
    assert result["main_commit"] == rev(corpus_repo, "main")


def test_first_parent_log_reads_one_line_per_session(corpus_repo: Path) -> None:
    session_run(corpus_repo, keep_script("one", "One"))
    session_run(corpus_repo, abandon_script("two"))
    session_run(corpus_repo, keep_script("three", "Three"))
    subjects = git(corpus_repo, "log", "--first-parent", "--format=%s", "main").splitlines()
    assert [s.split(":")[0] for s in subjects] == [
        "Crystallize session 0003",
        "Abandon session 0002",
        "Crystallize session 0001",
        "Set up agentgit corpus",
    ]
    assert tree_files(corpus_repo, "main").count("corpus/pieces/one.md") == 1
    assert "corpus/pieces/two.md" not in tree_files(corpus_repo, "main")


# -- discard ---------------------------------------------------------------------------


def test_discard_lands_only_the_log_entry(corpus_repo: Path) -> None:
    base = rev(corpus_repo, "main")
    result = session_run(corpus_repo, abandon_script("dead-end", reason="went nowhere"))
    assert result.outcome == "abandoned" and result.reason == "went nowhere"
    main = rev(corpus_repo, "main")
    head = rev(corpus_repo, "refs/agentgit/sessions/0001")
    assert parents(corpus_repo, main) == [base]
    changed = git(corpus_repo, "diff", "--name-status", base, main).splitlines()
    assert len(changed) == 1 and re.fullmatch(r"A\tcorpus/log/0001-[a-z0-9-]+\.md", changed[0])
    subject = git(corpus_repo, "log", "-1", "--format=%s", main).strip()
    assert subject == "Abandon session 0001: went nowhere"
    t = trailers(corpus_repo, main)
    assert t["Agentgit-Head"] == head and t["Agentgit-Outcome"] == "abandoned"
    entry = git(corpus_repo, "show", f"main:{changed[0].split(chr(9))[1]}")
    assert "outcome: abandoned" in entry and "reason: went nowhere" in entry
    # The draft is archived on the head, never on main.
    assert "corpus/drafts/dead-end.md" in tree_files(corpus_repo, head)
    assert "This went nowhere." in git(corpus_repo, "show", f"{head}:corpus/drafts/dead-end.md")
    assert not [f for f in tree_files(corpus_repo, "main") if "drafts" in f]
    assert_cleaned_up(corpus_repo, 1)
    assert json.loads(git(corpus_repo, "notes", "--ref", NOTES, "show", head))["session"] == 1
    assert_fsck(corpus_repo)


def test_discard_through_the_cli(corpus_repo: Path, tmp_path: Path) -> None:
    base = rev(corpus_repo, "main")
    script = write_script(tmp_path / "abandon.jsonl", abandon_script(reason="flat"))
    proc = agentgit(corpus_repo, "session", "--model", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    assert "Session 0001 abandoned" in proc.stdout and "reason: flat" in proc.stdout
    assert parents(corpus_repo, "main") == [base]
    assert trailers(corpus_repo, "main")["Agentgit-Head"] == rev(
        corpus_repo, "refs/agentgit/sessions/0001"
    )
    assert_cleaned_up(corpus_repo, 1)


# -- exploration commits ---------------------------------------------------------------


def test_exploration_subjects_come_from_the_diff_and_bodies_from_the_model(
    corpus_repo: Path,
) -> None:
    turns = [
        draft(
            "tides",
            "Tides",
            "The moon pulls the sea.\nTwice a day.\n",
            text="I want to pin down why there are two tides a day.",
        ),
        edit(
            "tides",
            "Twice a day.",
            "Twice a day, roughly.\nNot everywhere.",
            text="Hedge: some coasts have one tide a day.",
        ),
        note("Checked diurnal tides.", text="Record the check in the journal."),
        crystallize(["tides"], summary="Wrote tides."),
    ]
    base = rev(corpus_repo, "main")
    session_run(corpus_repo, turns)
    head = rev(corpus_repo, "refs/agentgit/sessions/0001")
    log = git(corpus_repo, "log", "--reverse", "--format=%H", f"{base}..{head}").split()
    assert len(log) == 4  # three steps that change files, then the judgement
    subjects = [git(corpus_repo, "log", "-1", "--format=%s", c).strip() for c in log]
    assert re.fullmatch(r"Add drafts/tides\.md \(\+\d+\)", subjects[0]), subjects[0]
    assert subjects[1] == "Edit drafts/tides.md (+2 -1)"
    assert re.fullmatch(r"Add log/0001-explore\.md \(\+\d+\)", subjects[2]), subjects[2]
    assert subjects[3].startswith("Crystallize session 0001: ")
    assert "move drafts/tides.md to pieces/tides.md" in subjects[3]
    bodies = [git(corpus_repo, "log", "-1", "--format=%b", c) for c in log]
    assert "two tides a day" in bodies[0]
    assert "some coasts have one tide" in bodies[1]
    assert "Record the check" in bodies[2]
    assert "Wrote tides." in bodies[3]
    for turn_no, (commit, tool) in enumerate(
        zip(log[:3], ["write_draft", "edit_draft", "note"], strict=True), 1
    ):
        t = trailers(corpus_repo, commit)
        assert t == {
            "Agentgit-Session": "0001",
            "Agentgit-Turn": str(turn_no),
            "Agentgit-Tool": tool,
            "Agentgit-Call": f"toolu_s{turn_no:03d}_1",
        }


def test_read_only_steps_make_no_commit(corpus_repo: Path) -> None:
    from scripts import read, search

    base = rev(corpus_repo, "main")
    session_run(
        corpus_repo, [read("PROGRAM.md"), search("moon"), read("nope.md"), *abandon_script()]
    )
    head = rev(corpus_repo, "refs/agentgit/sessions/0001")
    subjects = git(corpus_repo, "log", "--format=%s", f"{base}..{head}").splitlines()
    assert len(subjects) == 3  # the draft, the note, the judgement


# -- needs-review ----------------------------------------------------------------------


def _seed_piece(path: Path, slug: str = "tides", body: str = "Original body.\n") -> str:
    piece = path / "corpus" / "pieces" / f"{slug}.md"
    piece.write_text(f"---\ntitle: Tides\nsummary: About tides.\n---\n\n{body}")
    git(path, "add", str(piece))
    git(path, "commit", "--no-verify", "-q", "-m", f"Add {slug} by hand")
    return rev(path, "main")


def test_two_sessions_revising_one_piece_the_later_needs_review(corpus_repo: Path) -> None:
    _seed_piece(corpus_repo)
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    a = start(repo, settings, topic="revise a", model_name="scripted")
    b = start(repo, settings, topic="revise b", model_name="scripted")
    rb = run(
        repo,
        b,
        ScriptedModel([draft("tides", "Tides", "B says: gravity.\n"), crystallize(["tides"])]),
        settings,
    )
    assert rb.outcome == "crystallized"
    main_after_b = rev(corpus_repo, "main")
    piece_b = git(corpus_repo, "show", "main:corpus/pieces/tides.md")
    ra = run(
        repo,
        a,
        ScriptedModel([draft("tides", "Tides", "A says: the moon.\n"), crystallize(["tides"])]),
        settings,
    )
    assert ra.outcome == "needs-review"
    assert "corpus/pieces/tides.md" in ra.conflicts
    # Never forced: main keeps B's piece; A adds only its log entry, saying needs-review.
    main = rev(corpus_repo, "main")
    assert parents(corpus_repo, main) == [main_after_b]
    assert git(corpus_repo, "show", "main:corpus/pieces/tides.md") == piece_b
    changed = git(corpus_repo, "diff", "--name-only", main_after_b, main).split()
    assert changed == [f"corpus/log/{a.id}-revise-a.md"]
    entry = git(corpus_repo, "show", f"main:{changed[0]}")
    assert "outcome: needs-review" in entry and a.branch in entry
    assert trailers(corpus_repo, main)["Agentgit-Outcome"] == "needs-review"
    # The branch stays for a person, with A's piece on it; the head is archived.
    branch_head = rev(corpus_repo, f"refs/heads/{a.branch}")
    assert branch_head == rev(corpus_repo, f"refs/agentgit/sessions/{a.id}") == ra.head
    assert "A says: the moon." in git(corpus_repo, "show", f"{branch_head}:corpus/pieces/tides.md")
    assert not a.worktree.exists()
    assert git(corpus_repo, "status", "--porcelain") == ""
    log = agentgit(corpus_repo, "log")
    assert log.returncode == 0
    assert re.search(rf"^{a.id} .*needs-review", log.stdout, re.M), log.stdout
    # The transcript is on the head that main's log commit names.
    shown = agentgit(corpus_repo, "show", str(a.session), "--transcript")
    assert shown.returncode == 0, shown.stderr
    assert "no transcript note" not in shown.stdout and "A says: the moon." in shown.stdout
    replayed = agentgit(corpus_repo, "replay", str(a.session))
    assert replayed.returncode == 0 and "identical" in replayed.stdout, replayed.stdout
    # A person gives up on it: the log entry on main now says abandoned, the branch goes,
    # the piece stays archived on the head and main's piece is untouched.
    main_before = rev(corpus_repo, "main")
    given_up = agentgit(corpus_repo, "abandon", str(a.session), "--reason", "B said it better")
    assert given_up.returncode == 0, given_up.stderr
    assert parents(corpus_repo, rev(corpus_repo, "main")) == [main_before]
    entry = git(corpus_repo, "show", f"main:corpus/log/{a.id}-revise-a.md")
    assert "outcome: abandoned" in entry and "B said it better" in entry
    assert git(corpus_repo, "show", "main:corpus/pieces/tides.md") == piece_b
    assert git(corpus_repo, "branch", "--list", a.branch) == ""
    archived = rev(corpus_repo, f"refs/agentgit/sessions/{a.id}")
    assert archived != branch_head and parents(corpus_repo, archived) == [branch_head]
    assert git(corpus_repo, "notes", "--ref", "agentgit", "show", archived)
    again = agentgit(corpus_repo, "abandon", str(a.session), "--reason", "again")
    assert again.returncode == 1 and "already ended" in again.stderr
    # One line per session: its latest record.
    lines = [
        ln for ln in agentgit(corpus_repo, "log").stdout.splitlines() if ln.startswith(f"{a.id} ")
    ]
    assert len(lines) == 1 and " abandoned " in lines[0], lines
    assert_fsck(corpus_repo)


# -- main moves during a session ---------------------------------------------------------


def test_a_human_commit_during_a_session_is_merged_three_way(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    current = start(repo, settings, topic=None, model_name="scripted")
    (corpus_repo / "README.md").write_text("Written by a person.\n")
    git(corpus_repo, "add", "README.md")
    git(corpus_repo, "commit", "-q", "-m", "A human commit")
    human = rev(corpus_repo, "main")
    result = run(repo, current, ScriptedModel(keep_script("tides")), settings)
    assert result.outcome == "crystallized"
    assert parents(corpus_repo, "main") == [human, result.head]
    files = tree_files(corpus_repo, "main")
    assert "README.md" in files and "corpus/pieces/tides.md" in files
    assert git(corpus_repo, "show", "main:README.md") == "Written by a person.\n"
    assert (corpus_repo / "corpus/pieces/tides.md").is_file()
    assert git(corpus_repo, "status", "--porcelain") == ""


def test_a_session_started_while_one_runs_gets_its_own_id(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    first = start(repo, settings, topic="same topic", model_name="scripted")
    second = start(repo, settings, topic="same topic", model_name="scripted")
    assert (first.session, second.session) == (1, 2)
    assert first.branch != second.branch and first.worktree != second.worktree
    r2 = run(repo, second, ScriptedModel(keep_script("second", "Second")), settings)
    r1 = run(repo, first, ScriptedModel(keep_script("first", "First")), settings)
    assert (r1.outcome, r2.outcome) == ("crystallized", "crystallized")
    files = tree_files(corpus_repo, "main")
    assert {"corpus/pieces/first.md", "corpus/pieces/second.md"} <= set(files)
    assert len([f for f in files if f.startswith("corpus/log/000")]) == 2
    assert set(refs(corpus_repo, "refs/agentgit/sessions")) == {
        "refs/agentgit/sessions/0001",
        "refs/agentgit/sessions/0002",
    }


# -- the user's checkout -------------------------------------------------------------------


def test_the_users_dirty_checkout_is_untouched(corpus_repo: Path) -> None:
    (corpus_repo / "README.md").write_text("readme v1\n")
    (corpus_repo / "todo.txt").write_text("todo v1\n")
    git(corpus_repo, "add", "README.md", "todo.txt")
    git(corpus_repo, "commit", "-q", "-m", "User files")
    (corpus_repo / "README.md").write_text("readme edited, not staged\n")
    (corpus_repo / "todo.txt").write_text("todo edited and staged\n")
    git(corpus_repo, "add", "todo.txt")
    (corpus_repo / "scratch.txt").write_text("untracked\n")
    (corpus_repo / "corpus" / "drafts").mkdir()
    (corpus_repo / "corpus" / "drafts" / "mine.md").write_text("my own untracked draft\n")
    before = rev(corpus_repo, "main")

    result = session_run(corpus_repo, keep_script("tides"))

    assert result.outcome == "crystallized" and rev(corpus_repo, "main") != before
    assert (corpus_repo / "README.md").read_text() == "readme edited, not staged\n"
    assert (corpus_repo / "todo.txt").read_text() == "todo edited and staged\n"
    assert (corpus_repo / "scratch.txt").read_text() == "untracked\n"
    assert (corpus_repo / "corpus/drafts/mine.md").read_text() == "my own untracked draft\n"
    assert git(corpus_repo, "diff", "--cached", "--name-only").split() == ["todo.txt"]
    assert git(corpus_repo, "show", ":todo.txt") == "todo edited and staged\n"
    status = git(corpus_repo, "status", "--porcelain").splitlines()
    assert sorted(status) == sorted(
        [" M README.md", "M  todo.txt", "?? corpus/drafts/", "?? scratch.txt"]
    )
    # The checkout came forward: the session's work is there, not staged deletions.
    assert (corpus_repo / "corpus/pieces/tides.md").is_file()


def test_an_uncommitted_change_to_a_file_the_session_changed_means_needs_review(
    corpus_repo: Path,
) -> None:
    before = _seed_piece(corpus_repo)
    original = git(corpus_repo, "show", "main:corpus/pieces/tides.md")
    mine = original + "\nMy uncommitted thought.\n"
    (corpus_repo / "corpus/pieces/tides.md").write_text(mine)

    result = session_run(
        corpus_repo, [draft("tides", "Tides", "Revised by the session.\n"), crystallize(["tides"])]
    )

    assert result.outcome == "needs-review"
    # Main did not get the session's work: the piece on main is the original, and at most
    # the log entry saying needs-review landed (README design notes).
    assert git(corpus_repo, "show", "main:corpus/pieces/tides.md") == original
    changed = git(corpus_repo, "diff", "--name-only", before, "main").split()
    assert changed in ([], ["corpus/log/0001-explore.md"])
    if changed:
        assert "outcome: needs-review" in git(corpus_repo, "show", f"main:{changed[0]}")
    assert (corpus_repo / "corpus/pieces/tides.md").read_text() == mine
    status = git(corpus_repo, "status", "--porcelain").splitlines()
    assert status == [" M corpus/pieces/tides.md"], status
    branch = rev(corpus_repo, f"refs/heads/{result.branch}")
    assert "Revised by the session." in git(corpus_repo, "show", f"{branch}:corpus/pieces/tides.md")


# -- archive and gc -----------------------------------------------------------------------


def test_gc_prune_now_keeps_every_sessions_commits_and_notes(corpus_repo: Path) -> None:
    recorded: list[str] = []
    results = [
        session_run(corpus_repo, keep_script("kept"), record=recorded),
        session_run(corpus_repo, abandon_script("dropped"), record=recorded),
    ]
    _seed_piece(corpus_repo, "clash")
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    a = start(repo, settings, topic="a", model_name="scripted")
    b = start(repo, settings, topic="b", model_name="scripted")
    for current, body in ((b, "B\n"), (a, "A\n")):
        model = RecordingModel(
            [draft("clash", "Clash", body), crystallize(["clash"])], current.worktree
        )
        results.append(run(repo, current, model, settings))
        recorded += model.heads + [results[-1].head or ""]
    assert [r.outcome for r in results] == [
        "crystallized",
        "abandoned",
        "crystallized",
        "needs-review",
    ]
    # Every session's commits, seen as they were made (HEAD before each turn, and the
    # last head), whatever refs agentgit keeps.
    explorations = set(recorded)
    assert len(explorations) >= 10
    heads = [r.head for r in results]
    notes = {h: git(corpus_repo, "notes", "--ref", NOTES, "show", h) for h in heads}

    git(corpus_repo, "reflog", "expire", "--expire=now", "--all")
    git(corpus_repo, "gc", "--prune=now", "--quiet")

    for commit in explorations:
        git(corpus_repo, "cat-file", "-e", f"{commit}^{{commit}}")
    for head, text in notes.items():
        assert git(corpus_repo, "notes", "--ref", NOTES, "show", head) == text
    assert_fsck(corpus_repo)


# -- reading the history back ----------------------------------------------------------------


def test_log_show_transcript_and_replay_on_the_result(corpus_repo: Path) -> None:
    session_run(corpus_repo, keep_script("tides"), topic="The tides")
    session_run(corpus_repo, abandon_script(reason="flat"))

    log = agentgit(corpus_repo, "log")
    assert log.returncode == 0, log.stderr
    lines = log.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("0002") and "abandoned" in lines[0]
    assert lines[1].startswith("0001") and "crystallized" in lines[1]
    assert "The tides" in lines[1] and "[tides]" in lines[1]

    as_json = agentgit(corpus_repo, "log", "--json")
    assert as_json.returncode == 0
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["session"], r["outcome"], r["pieces"]) for r in rows] == [
        (2, "abandoned", []),
        (1, "crystallized", ["tides"]),
    ]
    assert rows[1]["head"] == rev(corpus_repo, "refs/agentgit/sessions/0001")
    assert rows[1]["turns"] == 3
    limited = agentgit(corpus_repo, "log", "-n", "1", "--json")
    assert [json.loads(x)["session"] for x in limited.stdout.splitlines()] == [2]

    shown = agentgit(corpus_repo, "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "crystallized" in shown.stdout and "The tides" in shown.stdout
    assert "Add drafts/tides.md" in shown.stdout
    assert "Drafting tides." in shown.stdout  # the reasoning of that step
    assert "Transcript:" not in shown.stdout

    with_transcript = agentgit(corpus_repo, "show", "1", "--transcript")
    assert with_transcript.returncode == 0
    assert "Transcript:" in with_transcript.stdout
    assert "write_draft" in with_transcript.stdout

    for number in ("1", "2"):
        replayed = agentgit(corpus_repo, "replay", number)
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert "identical" in replayed.stdout
    assert git(corpus_repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_replay_reports_a_difference(corpus_repo: Path) -> None:
    session_run(corpus_repo, keep_script("tides"))
    head = rev(corpus_repo, "refs/agentgit/sessions/0001")
    note_text = git(corpus_repo, "notes", "--ref", NOTES, "show", head)
    data = json.loads(note_text)
    for message in data["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_use" and block["name"] == "write_draft":
                block["input"]["body"] = "Something else entirely.\n"
    path = corpus_repo.parent / "note.json"
    path.write_text(json.dumps(data))
    git(corpus_repo, "notes", "--ref", NOTES, "add", "-f", "-F", str(path), head)
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 1
    assert "differs" in replayed.stdout and "pieces/tides.md" in replayed.stdout


def test_replay_of_a_transcript_with_a_damaged_budget_is_one_line(corpus_repo: Path) -> None:
    """A budget edited by hand (a key of another version, a value of the wrong kind):
    the unknown key is left out, the wrong value named, never a traceback."""
    session_run(corpus_repo, keep_script("tides"))
    head = rev(corpus_repo, "refs/agentgit/sessions/0001")
    data = json.loads(git(corpus_repo, "notes", "--ref", NOTES, "show", head))
    path = corpus_repo.parent / "note.json"
    data["budget"] = {**data["budget"], "max_wishes": 3}
    path.write_text(json.dumps(data))
    git(corpus_repo, "notes", "--ref", NOTES, "add", "-f", "-F", str(path), head)
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 0 and "identical" in replayed.stdout, replayed.stderr
    data["budget"]["max_turns"] = "many"
    path.write_text(json.dumps(data))
    git(corpus_repo, "notes", "--ref", NOTES, "add", "-f", "-F", str(path), head)
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 1 and "Traceback" not in replayed.stderr
    assert replayed.stderr.startswith("agentgit: session 0001's transcript has a bad budget")


def test_show_of_an_unknown_session_is_one_line(corpus_repo: Path) -> None:
    proc = agentgit(corpus_repo, "show", "7")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "agentgit: no session 0007"


# -- changed-path Bloom filters ------------------------------------------------------------


def bloom_statistics(path: Path, pathspec: str, tmp_path: Path) -> dict[str, int]:
    """What git's trace2 says path-limited `git log` made of the Bloom filters."""
    trace = tmp_path / "trace.json"
    trace.unlink(missing_ok=True)
    subprocess.run(
        ["git", "log", "--oneline", "--", pathspec],
        cwd=path,
        check=True,
        capture_output=True,
        env={**os.environ, "GIT_TRACE2_EVENT": str(trace)},
    )
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event.get("category") == "bloom" and event.get("key") == "statistics":
            return dict(event["value"])
    return {}


def test_init_and_every_landing_give_the_history_bloom_filters(
    corpus_repo: Path, tmp_path: Path
) -> None:
    session_run(corpus_repo, keep_script("tides", "Tides"))
    session_run(corpus_repo, abandon_script("dead-end"))
    stats = bloom_statistics(corpus_repo, "corpus/pieces/tides.md", tmp_path)
    # Every commit the history tool walks has a filter, the sessions' own included.
    assert stats["filter_not_present"] == 0 and stats["definitely_not"] > 0
    assert git(corpus_repo, "commit-graph", "verify") == ""


def test_a_clone_without_a_commit_graph_is_not_given_one_by_a_session(
    corpus_repo: Path, tmp_path: Path
) -> None:
    # As from a server (a CI checkout): a local clone would hard-link the graph too.
    cloned = tmp_path / "cloned"
    git(tmp_path, "clone", "-q", "--no-local", str(corpus_repo), str(cloned))
    session_run(cloned, keep_script("tides", "Tides"))
    info = cloned / ".git" / "objects" / "info"
    assert not (info / "commit-graph").exists() and not (info / "commit-graphs").exists()
