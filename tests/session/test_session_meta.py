"""agentgit/session/meta.py: a session's metadata as one typed record, read from and
written to the transcript's top-level keys exactly as they were: what the current code
writes round-trips, an older transcript's missing keys take the defaults, and a key
this code does not know survives a resave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit, git
from helpers import kill_keep_script, killed_session, sha

from agentgit.agent.ending import Judgement
from agentgit.agent.state import AgentState
from agentgit.core.errors import AgentgitError
from agentgit.core.outcome import Outcome
from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import start
from agentgit.session import transcript
from agentgit.session.meta import SessionMeta

NOTES = "refs/notes/agentgit"
REQUIRED = {"session": 7, "slug": "tides", "started": "2026-01-02T03:04:05Z"}


def saved(path: Path, meta: SessionMeta | dict[str, Any]) -> dict[str, Any]:
    """`meta` saved with an empty state, then read back as the transcript holds it."""
    transcript.save(path, meta, AgentState(messages=[]))
    return transcript.load(path)


def meta_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in transcript.STATE_KEYS}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return transcript.transcript_path(tmp_path / "state", 7)


def test_a_record_round_trips_through_the_transcript(path: Path) -> None:
    meta = SessionMeta(
        7,
        "tides",
        "2026-01-02T03:04:05Z",
        base="a" * 40,
        topic="Tides",
        model="scripted",
        model_spec="scripted:/tmp/keep.jsonl",
        budget={"max_turns": 3, "max_tokens": 1000, "max_cost": 0.5, "max_minutes": 2.0},
        thinking={"thinking": "adaptive", "effort": "low"},
        review="pr",
        push=False,
        experiment=True,
        status=Outcome.INTERRUPTED,
        system="You are an explorer.",
        ended="2026-01-02T04:00:00Z",
        judgement=Judgement(Outcome.CRYSTALLIZED, "Kept tides.", ["tides"], metric="0.5"),
    )
    data = saved(path, meta)
    back = transcript.session_meta(data)
    assert back == meta
    assert back.judgement is not None and back.judgement.metric == "0.5"  # compare=False
    assert list(meta_keys(data)) == list(meta.to_dict())  # the same keys, in order
    assert meta_keys(saved(path, back)) == meta_keys(data)


def test_a_claimed_sessions_transcript_is_what_the_record_writes(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted", max_turns=4, review="branch", push=False)
    session = start(repo, settings, topic="Tides and moons", model_name="scripted")
    data = json.loads((repo.state_dir / "transcripts" / "0001.json").read_text("utf-8"))
    on_disk = meta_keys(data)
    # The keys a claim has always written, and no others.
    assert list(on_disk) == [
        "session",
        "slug",
        "base",
        "topic",
        "model",
        "model_spec",
        "started",
        "budget",
        "thinking",
        "review",
        "push",
        "title",
        "status",
    ]
    assert on_disk["budget"]["max_turns"] == 4 and on_disk["push"] is False
    assert on_disk["title"] == "Tides and moons" and on_disk["status"] == "running"
    assert session.meta.to_dict() == on_disk
    assert transcript.session_meta(data).to_dict() == on_disk


def test_a_transcript_missing_the_optional_keys_loads_with_the_defaults(path: Path) -> None:
    meta = transcript.session_meta(saved(path, REQUIRED))
    assert meta == SessionMeta(7, "tides", "2026-01-02T03:04:05Z")
    assert (meta.title, meta.status, meta.model, meta.base) == ("Session 0007", "running", "", None)
    assert (meta.budget, meta.thinking, meta.judgement, meta.experiment) == ({}, {}, None, False)
    # A resume of it asks for nothing it did not record.
    assert meta.began_with() == {
        "model": None,
        "max_turns": None,
        "max_tokens": None,
        "max_cost": None,
        "max_minutes": None,
        "review": None,
        "push": None,
    }
    topical = transcript.session_meta(saved(path, {**REQUIRED, "topic": " Tides "}))
    assert topical.title == "Tides"  # as a claim titles it


def test_a_key_this_code_does_not_know_survives_a_resave(path: Path) -> None:
    future = {"labels": ["a", "b"], "origin": {"runner": "ci-7"}}
    meta = transcript.session_meta(saved(path, {**REQUIRED, **future}))
    assert meta.extra == future
    meta.status = "judged"
    data = saved(path, meta)
    assert {k: data[k] for k in future} == future and data["status"] == "judged"


@pytest.mark.parametrize(
    "field",
    [
        {"title": 5},
        {"push": "yes"},
        {"experiment": 1},
        {"session": True},
        {"budget": [3]},
        {"judgement": "kept"},
        {"judgement": {"outcome": "kept-ish", "summary": ""}},
        {"judgement": {"summary": "no outcome"}},
    ],
    ids=lambda field: json.dumps(field)[:30],
)
def test_a_recorded_field_of_the_wrong_kind_is_one_line(
    path: Path, field: dict[str, object]
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**REQUIRED, "version": 1, "messages": [], **field}), "utf-8")
    with pytest.raises(AgentgitError, match=r"^the transcript has an unknown format$"):
        transcript.load(path)


def test_an_old_shaped_transcript_resumes_and_keeps_what_it_did_not_know(
    corpus_repo: Path, tmp_path: Path
) -> None:
    model = f"scripted:{kill_keep_script(tmp_path / 'keep.jsonl')}"
    killed_session(corpus_repo, model, "step:1")
    path = corpus_repo / ".git/agentgit/transcripts/0001.json"
    data = json.loads(path.read_text("utf-8"))
    # As an older agentgit wrote it: no spec, thinking, review, push, title or status;
    # and a key from a newer one.
    for key in ("model_spec", "thinking", "review", "push", "title", "status", "system"):
        del data[key]
    data["origin"] = {"runner": "ci-7"}
    path.write_text(json.dumps(data), "utf-8")

    done = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    head = sha(corpus_repo, "refs/agentgit/sessions/0001")
    note = json.loads(git(corpus_repo, "notes", "--ref", NOTES, "show", head or ""))
    assert note["origin"] == {"runner": "ci-7"}
    assert note["status"] == "judged" and note["judgement"]["slugs"] == ["tides"]
    assert note["title"] == "kill test"  # the default: its topic
