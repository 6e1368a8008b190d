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

from agentgit.corpus.skeleton import init
from agentgit.experiment.results import runs
from agentgit.git import Repository

TOML = """[metric]
name = "loss"
command = 'echo run >> {log} && {python} evaluate.py'
pattern = '^loss: ([-+0-9.eE]+)'
editable = ["train.py"]
run_minutes = 1
"""


def experiment_repo(path: Path, log: Path) -> Path:
    """The toy with its metric, whose command adds a line to `log` at every run."""
    toy_repo(path)
    toml = TOML.format(python=sys.executable, log=log)
    commit_files(path, {"agentgit.toml": toml}, "The metric")
    return path


def evaluations(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def statuses(path: Path) -> list[tuple[int, str, float | None]]:
    return [(r.experiment, r.status, r.value) for r in runs(Repository.discover(path))]


def test_sigterm_during_a_run_parks_and_resume_runs_it_again_once(
    corpus_repo: Path, tmp_path: Path
) -> None:
    evaluated = tmp_path / "evaluated.log"
    experiment_repo(corpus_repo, evaluated)
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
    assert evaluations(evaluated) == 2  # the baseline, and the run stopped
    done = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
    assert statuses(corpus_repo) == [(0, "baseline", 16.0), (1, "keep", 1.0)]
    assert log.read_text() == "run\nrun\n"  # the interrupted run, and once again
    assert evaluations(evaluated) == 3  # and the baseline never again
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


def trees(path: Path) -> list[tuple[str, str]]:
    """Each commit of the session since main's first parent, newest first: its subject
    and its tree without the journal and agentgit.toml (which name this repository's
    log file)."""
    head = git(path, "rev-parse", "refs/agentgit/sessions/0001").strip()
    found = []
    for line in git(path, "log", "--format=%H %s", f"main^1..{head}").splitlines():
        sha, subject = line.split(" ", 1)
        files = git(path, "ls-tree", "-r", sha).splitlines()
        kept = [
            f for f in files if not f.endswith(("\tagentgit.toml",)) and "\tcorpus/log/" not in f
        ]
        found.append((subject, "\n".join(kept)))
    return found


@pytest.mark.parametrize(
    ("point", "evaluated"), [("experiment-ran", 4), ("experiment-committed", 3)]
)
def test_a_kill_at_a_run_point_resumes_once_to_the_same_trees(
    corpus_repo: Path, tmp_path: Path, point: str, evaluated: int
) -> None:
    script = _script(tmp_path)
    model = f"scripted:{script}"
    # The same session never stopped, in a repository of its own.
    reference, reference_log = tmp_path / "reference", tmp_path / "reference.log"
    init(reference)
    experiment_repo(reference, reference_log)
    done = agentgit(reference, "session", "--topic", "toy", "--model", model)
    assert done.returncode == 0, done.stderr
    assert evaluations(reference_log) == 3  # the baseline and two runs

    log = tmp_path / "evaluated.log"
    experiment_repo(corpus_repo, log)
    killed(corpus_repo, "session", "--topic", "toy", "--model", model, point=point)
    fsck(corpus_repo)
    done = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert done.returncode == 0, done.stderr
    assert statuses(corpus_repo) == EXPECTED
    # Killed after a run's end and before its commit, the run is run again, once; killed
    # after the commit, it is answered from the commit, never run again.
    assert evaluations(log) == evaluated
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    # The same trees as the session never stopped: the restore after the discard included.
    assert trees(corpus_repo) == trees(reference)
    subjects = [s for s, _ in trees(corpus_repo)]
    assert [s for s in subjects if s.startswith(("Experiment", "Restore"))] == [
        "Experiment 2: nearer",
        "Restore the best code (loss=16.0) after experiment 1 (discard)",
        "Experiment 1: further",
        "Experiment 0: baseline, 1 run(s) of the base tree",
    ]
    assert git(corpus_repo, "rev-parse", "refs/agentgit/runs/0001/1")
    fsck(corpus_repo)
