"""A session SIGKILLed at every point of its lifecycle leaves a repository that passes
`git fsck`, a main that is untouched or complete, and a session that `agentgit resume N`
continues or `agentgit abandon N` ends (DESIGN §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import (
    KILL_BODY,
    KILL_LOG_ENTRY,
    files,
    fsck,
    kill_keep_script,
    killed,
    killed_session,
    sha,
    trailers,
)
from scripts import abandon, crystallize, draft, write_script

from agentgit.core.settings import Settings
from agentgit.git import RefMoved, Repository
from agentgit.lifecycle.land import needs_review
from agentgit.lifecycle.reopen import judged_result, open_session

POINTS = [
    "claimed",
    "started",
    "step:1",
    "step:2",
    "judged",
    "before-main",
    "merging",
    "after-main",
]
# Where the judgement is already in the branch's last commit, ending the session lands
# that judgement, whichever command ends it.
JUDGED = {"judged", "before-main", "merging", "after-main"}
BODY = KILL_BODY
LOG_ENTRY = KILL_LOG_ENTRY


def assert_complete_keep(path: Path) -> None:
    """Main has the session's merge with all of its content."""
    t = trailers(path, "main")
    assert t["Agentgit-Session"] == "0001" and t["Agentgit-Outcome"] == "crystallized"
    assert t["Agentgit-Head"] == sha(path, "refs/agentgit/sessions/0001")
    assert len(git(path, "rev-list", "--parents", "-n1", "main").split()) == 3
    assert {"corpus/pieces/tides.md", LOG_ENTRY} <= files(path, "main")
    assert BODY in git(path, "show", "main:corpus/pieces/tides.md")
    assert "outcome: crystallized" in git(path, "show", f"main:{LOG_ENTRY}")


@pytest.mark.parametrize("action", ["resume", "abandon"])
@pytest.mark.parametrize("point", POINTS)
def test_kill_then_finish(corpus_repo: Path, tmp_path: Path, point: str, action: str) -> None:
    model = f"scripted:{kill_keep_script(tmp_path / 'keep.jsonl')}"
    before = sha(corpus_repo, "main")

    killed_session(corpus_repo, model, point)
    fsck(corpus_repo)
    if point == "after-main":
        assert_complete_keep(corpus_repo)
    else:
        assert sha(corpus_repo, "main") == before
    assert git(corpus_repo, "status", "--porcelain") == ""
    assert sha(corpus_repo, "refs/agentgit/sessions/0001")  # claimed, so already archived

    if action == "resume":
        done = agentgit(corpus_repo, "resume", "1", "--model", model)
    else:
        done = agentgit(corpus_repo, "abandon", "1", "--reason", "killed in a test")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    fsck(corpus_repo)
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert git(corpus_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert not (corpus_repo / ".git/agentgit/worktrees/0001").exists()
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    assert head and git(corpus_repo, "notes", "--ref", "refs/notes/agentgit", "show", head)
    if action == "resume" or point in JUDGED:
        assert "Session 0001 crystallized" in done.stdout
        assert_complete_keep(corpus_repo)
        assert git(corpus_repo, "rev-parse", "main^1").strip() == before
    else:
        assert "Session 0001 abandoned" in done.stdout
        t = trailers(corpus_repo, "main")
        assert t["Agentgit-Outcome"] == "abandoned" and t["Agentgit-Head"] == head
        assert git(corpus_repo, "rev-list", "--parents", "-n1", "main").split()[1:] == [before]
        assert git(corpus_repo, "diff", "--name-only", before, "main").split() == [LOG_ENTRY]
        entry = git(corpus_repo, "show", f"main:{LOG_ENTRY}")
        assert "outcome: abandoned" in entry and "reason: killed in a test" in entry
    # main is checked out here and came forward with it.
    assert git(corpus_repo, "status", "--porcelain") == ""
    # Exactly one line in the history for the session, and nothing left to resume.
    log = agentgit(corpus_repo, "log", "--json")
    assert log.returncode == 0 and len(log.stdout.splitlines()) == 1
    again = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert again.returncode == 1
    assert again.stderr.strip() == "agentgit: session 0001 has already ended"


@pytest.mark.parametrize("point", ["step:1", "judged", "before-main", "after-main"])
def test_kill_a_discarding_session_then_resume(
    corpus_repo: Path, tmp_path: Path, point: str
) -> None:
    script = write_script(
        tmp_path / "abandon.jsonl",
        [
            draft("dead-end", "Dead end", "Nowhere.\n"),
            abandon("went nowhere", summary="Tried a draft."),
        ],
    )
    before = sha(corpus_repo, "main")
    killed_session(corpus_repo, f"scripted:{script}", point)
    fsck(corpus_repo)
    landed = point == "after-main"
    assert (sha(corpus_repo, "main") != before) == landed
    done = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 abandoned" in done.stdout
    # Exactly one log-only commit on main, whether it landed before the kill or after.
    assert git(corpus_repo, "rev-list", "--parents", "-n1", "main").split()[1:] == [before]
    assert git(corpus_repo, "diff", "--name-only", before, "main").split() == [LOG_ENTRY]
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    assert trailers(corpus_repo, "main")["Agentgit-Head"] == head
    assert "corpus/drafts/dead-end.md" in files(corpus_repo, head or "")
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    fsck(corpus_repo)


def test_resumed_after_a_kill_before_the_first_turn_it_still_orients(
    corpus_repo: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path / "keep.jsonl", [draft("tides", "Tides", BODY), crystallize(["tides"])]
    )
    killed(corpus_repo, "session", "--model", f"scripted:{script}", point="started")
    done = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    data = json.loads(git(corpus_repo, "notes", "--ref", "refs/notes/agentgit", "show", head))
    first = data["messages"][0]
    assert first["role"] == "user" and "Budget:" in first["content"][0]["text"]
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 0 and "identical" in replayed.stdout, replayed.stdout


def test_abandon_of_no_such_session_is_one_line(corpus_repo: Path) -> None:
    proc = agentgit(corpus_repo, "abandon", "1", "--reason", "x")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "agentgit: no open session 0001"


def test_resume_needs_no_flags_to_continue_with_the_same_model(
    corpus_repo: Path, tmp_path: Path
) -> None:
    """The transcript records --model (a relative scripted path made absolute), so a bare
    `agentgit resume N` run from another directory continues with the same model."""
    kill_keep_script(tmp_path / "scripts" / "keep.jsonl")
    assert corpus_repo.parent == tmp_path
    killed_session(corpus_repo, "scripted:../scripts/keep.jsonl", "step:1")
    done = agentgit(corpus_repo / "corpus", "resume", "1")
    assert done.returncode == 0, done.stderr
    assert_complete_keep(corpus_repo)


def test_kill_after_the_needs_review_commit_then_resume_logs_it_once(
    corpus_repo: Path, tmp_path: Path
) -> None:
    piece = corpus_repo / "corpus" / "pieces" / "tides.md"
    piece.write_text("---\ntitle: Tides\nsummary: About tides.\n---\n\nOriginal.\n")
    git(corpus_repo, "add", str(piece))
    git(corpus_repo, "commit", "--no-verify", "-q", "-m", "Add tides by hand")
    before = sha(corpus_repo, "main")
    mine = piece.read_text() + "\nMy uncommitted thought.\n"
    piece.write_text(mine)  # the session's merge would overwrite it: needs-review
    script = write_script(
        tmp_path / "keep.jsonl",
        [draft("tides", "Tides", "Revised by the session.\n"), crystallize(["tides"])],
    )
    model = f"scripted:{script}"
    killed_session(corpus_repo, model, "needs-review")
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    assert trailers(corpus_repo, str(head))["Agentgit-Outcome"] == "needs-review"
    assert sha(corpus_repo, "main") == before

    done = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert done.returncode == 0, done.stderr
    assert "needs-review" in done.stdout
    # One log-only commit saying needs-review; the branch (not re-judged) kept for a person.
    assert git(corpus_repo, "rev-list", "--parents", "-n1", "main").split()[1:] == [before]
    assert git(corpus_repo, "diff", "--name-only", before, "main").split() == [LOG_ENTRY]
    assert trailers(corpus_repo, "main")["Agentgit-Outcome"] == "needs-review"
    assert sha(corpus_repo, "refs/heads/session/0001-kill-test") == head
    assert sha(corpus_repo, "refs/agentgit/sessions/0001") == head
    assert piece.read_text() == mine
    fsck(corpus_repo)


@pytest.mark.parametrize("point", ["step", "after-main"])
def test_abandoning_a_needs_review_session_killed_halfway_finishes_once(
    corpus_repo: Path, tmp_path: Path, point: str
) -> None:
    piece = corpus_repo / "corpus" / "pieces" / "tides.md"
    piece.write_text("---\ntitle: Tides\nsummary: About tides.\n---\n\nOriginal.\n")
    git(corpus_repo, "add", str(piece))
    git(corpus_repo, "commit", "--no-verify", "-q", "-m", "Add tides by hand")
    piece.write_text(piece.read_text() + "\nMine.\n")
    script = write_script(
        tmp_path / "keep.jsonl",
        [draft("tides", "Tides", "Revised by the session.\n"), crystallize(["tides"])],
    )
    first = agentgit(
        corpus_repo, "session", "--topic", "kill test", "--model", f"scripted:{script}"
    )
    assert "needs-review" in first.stdout, first.stderr
    logged = sha(corpus_repo, "main")
    git(corpus_repo, "checkout", "-q", "--", "corpus/pieces/tides.md")

    # "step" is not a point abandon passes, so that run is not killed: the control.
    if point == "after-main":
        killed(corpus_repo, "abandon", "1", "--reason", "B said it better", point=point)
        again = agentgit(corpus_repo, "abandon", "1", "--reason", "B said it better")
        assert again.returncode == 0, again.stderr
    else:
        control = agentgit(
            corpus_repo,
            "abandon",
            "1",
            "--reason",
            "B said it better",
            env={"AGENTGIT_TEST_KILL_AT": point},
        )
        assert control.returncode == 0, control.stderr
    # Exactly one more commit on main, saying abandoned; the branch is gone.
    assert git(corpus_repo, "rev-list", "--parents", "-n1", "main").split()[1:] == [logged]
    entry = git(corpus_repo, "show", f"main:{LOG_ENTRY}")
    assert "outcome: abandoned" in entry and entry.count("## Abandoned in review") == 1
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    fsck(corpus_repo)


def test_needs_review_moves_the_archive_on_from_the_judged_head_not_over_another(
    corpus_repo: Path, tmp_path: Path
) -> None:
    # The needs-review commit follows the judged head in the archive by compare-and-swap:
    # an archive something else moved meanwhile is refused, not overwritten.
    killed_session(corpus_repo, f"scripted:{kill_keep_script(tmp_path / 'k.jsonl')}", "judged")
    repo = Repository.discover(corpus_repo)
    session, _ = open_session(repo, 1)
    result = judged_result(repo, session)
    assert result is not None and result.head is not None
    elsewhere = sha(corpus_repo, "main")
    git(corpus_repo, "update-ref", "refs/agentgit/sessions/0001", elsewhere)
    with pytest.raises(RefMoved):
        needs_review(repo, session, result, Settings(model="scripted"), "a conflict", [])
    assert sha(corpus_repo, "refs/agentgit/sessions/0001") == elsewhere


def test_resume_of_a_session_killed_before_its_transcript_uses_what_was_claimed(
    corpus_repo: Path, tmp_path: Path
) -> None:
    """Killed between the claim and the first transcript, only the claim's reflog holds
    the settings: a bare `resume` still runs the scripted model (no API key asked for)
    and keeps the budget asked for, not the defaults."""
    model = f"scripted:{kill_keep_script(tmp_path / 'keep.jsonl')}"
    killed_session(corpus_repo, model, "claimed", "--max-turns", "500", "--max-cost", "7")
    assert not (corpus_repo / ".git/agentgit/transcripts/0001.json").exists()
    done = agentgit(corpus_repo, "resume", "1", env={"ANTHROPIC_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    assert_complete_keep(corpus_repo)
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    data = json.loads(git(corpus_repo, "notes", "--ref", "refs/notes/agentgit", "show", head))
    assert data["budget"]["max_turns"] == 500 and data["budget"]["max_cost"] == 7
    assert "Budget: 500 turns" in data["messages"][0]["content"][0]["text"]
