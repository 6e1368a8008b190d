"""Stops in an experiment session, exactly once (DESIGN §9, §10): SIGTERM during a run
kills its group and parks (exit 3), and resume runs that experiment again, once, never
measuring the baseline again; SIGKILL between a run's end and its commit, or between a
discard's commit and the restore, resumes to the same trees as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import commit_files, fsck, killed
from scripts import write_script
from toy import keep, run, toy_repo, write

from agentgit.experiment.results import runs
from agentgit.git import Repository

TOML = """[metric]
name = "loss"
command = '{python} evaluate.py'
pattern = '^loss: ([-+0-9.eE]+)'
editable = ["train.py"]
run_minutes = 1
"""


def experiment_repo(path: Path) -> Path:
    toy_repo(path)
    commit_files(path, {"agentgit.toml": TOML.format(python=sys.executable)}, "The metric")
    return path


def statuses(path: Path) -> list[tuple[int, str, float | None]]:
    return [(r.experiment, r.status, r.value) for r in runs(Repository.discover(path))]


def test_sigterm_during_a_run_parks_and_resume_runs_it_again_once(
    corpus_repo: Path, tmp_path: Path
) -> None:
    experiment_repo(corpus_repo)
    marker, log = tmp_path / "marker", tmp_path / "runs.log"
    # The first run of this code says it started, records its pid, and sleeps; the
    # rerun after the resume finds the marker and goes straight on.
    slow = (
        "import os, time\n"
        f"open({str(log)!r}, 'a').write('run\\n')\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n"
        "X = 6\n"
    )
    script = write_script(tmp_path / "s.jsonl", [write("train.py", slow), run("slow"), keep()])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentgit",
            "session",
            "--topic",
            "toy",
            "--model",
            f"scripted:{script}",
        ],
        cwd=corpus_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(marker.read_text())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child), "the run's process outlived the stop"
    assert statuses(corpus_repo) == [(0, "baseline", 16.0)]
    done = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
    assert statuses(corpus_repo) == [(0, "baseline", 16.0), (1, "keep", 1.0)]
    assert log.read_text() == "run\nrun\n"  # the interrupted run, and once again
    assert git(corpus_repo, "show", "main:train.py") == slow
    fsck(corpus_repo)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _script(tmp_path: Path) -> Path:
    return write_script(
        tmp_path / "s.jsonl",
        [
            write("train.py", "X = 2\n"),
            run("further"),  # 25: discard, back to X = 3
            write("train.py", "X = 6\n"),
            run("nearer"),  # 1: keep
            keep(),
        ],
    )


EXPECTED = [(0, "baseline", 16.0), (1, "discard", 25.0), (2, "keep", 1.0)]


@pytest.mark.parametrize("point", ["experiment-ran", "experiment-committed"])
def test_a_kill_at_a_run_point_resumes_to_the_same_trees(
    corpus_repo: Path, tmp_path: Path, point: str
) -> None:
    experiment_repo(corpus_repo)
    script = _script(tmp_path)
    model = f"scripted:{script}"
    killed(corpus_repo, "session", "--topic", "toy", "--model", model, point=point)
    fsck(corpus_repo)
    done = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert done.returncode == 0, done.stderr
    assert statuses(corpus_repo) == EXPECTED
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    # The same trees as a session never stopped: the restore after the discard included.
    head = git(corpus_repo, "rev-parse", "refs/agentgit/sessions/0001").strip()
    subjects = git(corpus_repo, "log", "--format=%s", f"main^1..{head}").splitlines()
    assert [s for s in subjects if s.startswith(("Experiment", "Restore"))] == [
        "Experiment 2: nearer",
        "Restore the best code (loss=16.0) after experiment 1 (discard)",
        "Experiment 1: further",
        "Experiment 0: baseline, 1 run(s) of the base tree",
    ]
    assert git(corpus_repo, "rev-parse", "refs/agentgit/runs/0001/1")
    fsck(corpus_repo)
