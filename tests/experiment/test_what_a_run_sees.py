"""What a run of a whole session sees and leaves (DESIGN §10): `agentgit session` on the
real SDK against the fake Messages API, whose key and address are in the session's
environment, runs the agent's code with none of agentgit's credentials; and 50 MB of
output, text or bytes that are not text, leave a bounded note and a bounded answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from apiturns import call, cli_session, drop_it
from conftest import git
from fakeapi import FAKE_KEY, FakeAPI
from helpers import commit_files, session_run
from scripts import abandon
from toy import answers, metric, run, toy_repo, write

from agentgit.core.refs import RUN_NOTES
from agentgit.experiment.lab import ANSWER_TAIL
from agentgit.experiment.results import runs
from agentgit.experiment.runner import TAIL_BYTES
from agentgit.git import Repository

TOML = """[metric]
name = "loss"
command = '{python} evaluate.py'
pattern = '^loss: ([-+0-9.eE]+)'
editable = ["train.py"]
run_minutes = 1
"""

SECRETS = {
    "GITHUB_TOKEN": "ghp_" + "a" * 36,
    "GH_TOKEN": "gho_" + "b" * 36,
    "AGENTGIT_MAX_RETRIES": "1",
    "KEEP_ME": "a variable of the user's own",
}


def test_the_run_of_a_session_sees_none_of_its_credentials(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    toy_repo(corpus_repo)
    commit_files(corpus_repo, {"agentgit.toml": TOML.format(python=sys.executable)}, "Metric")
    seen = tmp_path / "env.json"
    # The agent's code writes its whole environment where the scrubbing of notes and
    # answers cannot hide a value: a file outside the repository.
    spy = f"import json, os\njson.dump(dict(os.environ), open({str(seen)!r}, 'w'))\nX = 6\n"
    fake_api.push(
        call("write_file", {"path": "train.py", "content": spy}, n=1),
        call("run_experiment", {"hypothesis": "X nearer 7"}, n=2),
        drop_it(3),
    )
    done = cli_session(corpus_repo, "--topic", "toy", env=SECRETS)
    assert done.returncode == 0, done.stderr
    assert fake_api.remaining == 0 and not fake_api.rejections
    assert [(r.experiment, r.status) for r in runs(Repository.discover(corpus_repo))] == [
        (0, "baseline"),
        (1, "keep"),
    ]
    env = json.loads(seen.read_text("utf-8"))
    assert env["KEEP_ME"] == SECRETS["KEEP_ME"] and "PATH" in env
    leaked = [k for k in env if k.startswith(("ANTHROPIC_", "AGENTGIT_"))]
    leaked += [k for k in ("GITHUB_TOKEN", "GH_TOKEN") if k in env]
    assert leaked == []
    text = seen.read_text("utf-8")
    for value in (FAKE_KEY, fake_api.url, SECRETS["GITHUB_TOKEN"], SECRETS["GH_TOKEN"]):
        assert value not in text


@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_fifty_megabytes_of_output_leave_a_bounded_note_and_answer(
    corpus_repo: Path, kind: str
) -> None:
    toy_repo(corpus_repo)
    # 50 MB before the value: lines of text, or every byte value (NULs and bytes that
    # are not UTF-8 included).
    chunk = "b'x' * 1023 + b'\\n'" if kind == "text" else "bytes(range(256)) * 4"
    loud = (
        f"import sys\nchunk = {chunk}\n"
        "for _ in range(50 * 1024):\n    sys.stdout.buffer.write(chunk)\n"
        "sys.stdout.buffer.write(b'\\n')\nsys.stdout.flush()\nX = 6\n"
    )
    turns = [write("train.py", loud), run("loud but nearer"), abandon("loud")]
    session_run(corpus_repo, turns, topic="toy", metric=metric())
    found = runs(Repository.discover(corpus_repo))
    assert [(r.experiment, r.status, r.value) for r in found] == [
        (0, "baseline", 16.0),
        (1, "keep", 1.0),
    ]
    note = git(corpus_repo, "notes", "--ref", RUN_NOTES, "show", found[1].commit)
    assert note.rstrip().endswith("loss: 1.0")
    assert "\0" not in note
    # The tail's bytes, each one at most a replacement character (3 bytes) as text.
    assert len(note.encode("utf-8")) <= 3 * TAIL_BYTES + 1
    (told,) = [text for tool, text, _ in answers(corpus_repo) if tool == "run_experiment"]
    assert told.startswith("experiment 1: keep; loss=1.0")
    assert "output (its tail):" in told and told.rstrip().endswith("loss: 1.0")
    assert len(told) <= ANSWER_TAIL + 500
