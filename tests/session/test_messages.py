"""agentgit/messages.py: every commit message agentgit writes is cleaned of credentials
and terminal controls, and main's landing repeats the session's trailers, not a step's."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import commit_files, plain_repo

from agentgit.core.scrub import one_line
from agentgit.git import Repository
from agentgit.models.base import Usage
from agentgit.session.messages import (
    first_line,
    landing_trailers,
    message,
    summary_trailers,
)

SECRET = "hunter2-correct-horse-battery"


@pytest.fixture(autouse=True)
def secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_PASSWORD", SECRET)


def test_a_message_is_subject_body_and_trailers() -> None:
    text = message("Draft tides", "The moon.\n\n", {"Agentgit-Session": "0001", "Agentgit-N": 3})
    assert text == "Draft tides\n\nThe moon.\n\nAgentgit-Session: 0001\nAgentgit-N: 3\n"
    assert message("Log", "  \n", {"K": "v"}) == "Log\n\nK: v\n"  # no empty body


def test_subjects_are_one_clean_line_of_at_most_200_characters() -> None:
    subject = f"Draft \x1b]0;pwned\x07tides\x1b[31m red\x1b[0m\nnext line {SECRET} sk-ant-abc123"
    first = message(subject, "", {}).split("\n\n")[0]
    assert first == "Draft tides red next line [scrubbed] [scrubbed]"
    assert len(message("x" * 500, "", {}).split("\n")[0]) == 200


def test_bodies_keep_their_lines_but_lose_secrets_and_controls() -> None:
    body = f"First thought.\n\tIndented \x07bell \x1b[2Jclear\nkey {SECRET}\nghp_{'a' * 30}"
    text = message("S", body, {})
    assert text.split("\n\n")[1] == (
        "First thought.\n\tIndented bell clear\nkey [scrubbed]\n[scrubbed]"
    )
    assert SECRET not in text and "\x1b" not in text and "\x07" not in text


def test_trailer_values_are_cleaned_to_one_line() -> None:
    text = message("S", "", {"Agentgit-Title": f"Tides\n{SECRET}\x1b[1m!", "Agentgit-Turns": 2})
    trailers = text.split("\n\n")[-1]
    assert trailers == "Agentgit-Title: Tides [scrubbed]!\nAgentgit-Turns: 2\n"


def test_first_line_and_one_line() -> None:
    assert one_line("  a\n b\t c ") == "a b c"
    assert first_line("\n\nWrote tides. Then more.\nSecond line.") == "Wrote tides"
    assert first_line("Kept: tides; waves") == "Kept"
    long = first_line("word " * 40)
    assert len(long) == 78 and long.endswith("…")
    assert first_line("   \n") == ""


def test_summary_trailers_record_the_session_for_the_log() -> None:
    usage = Usage(input_tokens=10, output_tokens=2, cache_read_input_tokens=5)
    t = summary_trailers("0003", "m", "crystallized", "A\ntitle", ["a", "b"], 4, None, usage)
    assert t["Agentgit-Session"] == "0003" and t["Agentgit-Title"] == "A title"
    assert t["Agentgit-Pieces"] == "a, b" and t["Agentgit-Turns"] == "4"
    assert t["Agentgit-Cost"] == "unknown"
    assert t["Agentgit-Usage"] == "input=10 output=2 cache_read=5 cache_write=0"
    assert summary_trailers("1", "m", "o", "t", [], 0, 0.5, usage)["Agentgit-Cost"] == "0.500000"


def test_landing_trailers_keep_the_session_drop_the_step_and_name_the_head(
    tmp_path: Path,
) -> None:
    top = plain_repo(tmp_path / "repo")
    commit_files(top, {"a.txt": "a\n"}, "Start")
    repo = Repository.discover(top)
    judged = message(
        "Crystallize session 0001",
        "Kept.",
        {
            "Agentgit-Session": "0001",
            "Agentgit-Outcome": "crystallized",
            "Agentgit-Turn": "3",
            "Agentgit-Tool": "crystallize",
            "Agentgit-Call": "toolu_3",
            "Signed-off-by": "Someone <s@example.invalid>",
        },
    )
    head = repo.commit_tree(repo.tree_of("main"), [repo.main_commit()], judged)
    assert landing_trailers(repo, head) == {
        "Agentgit-Session": "0001",
        "Agentgit-Outcome": "crystallized",
        "Agentgit-Head": head,
    }
