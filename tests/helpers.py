"""Helpers the test files share: reading a repository's state with plain git, bare
remotes, sessions run in this process or as several processes at once, and a session
killed at a named point. Plain functions, imported by name (`from helpers import ...`);
the fixtures stay in conftest.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import agentgit, git
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from scripts import crystallize, draft, note, write_script

from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import Result, run, start
from agentgit.models.scripted import ScriptedModel

NOTES = "refs/notes/agentgit"

# -- a repository's state, read with git itself -----------------------------------------


def sha(path: Path, name: str) -> str | None:
    """What `name` points at, or None if it does not exist."""
    out = git(path, "rev-parse", "--verify", "--quiet", name, check=False).strip()
    return out or None


def rev(path: Path, name: str) -> str:
    """What `name` points at; it must exist."""
    return git(path, "rev-parse", "--verify", name).strip()


def trailers(path: Path, name: str) -> dict[str, str]:
    out = git(path, "log", "-1", "--format=%(trailers:only,unfold)", name)
    pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def files(path: Path, name: str = "main") -> set[str]:
    return set(git(path, "ls-tree", "-r", "--name-only", name).split())


def refs(path: Path, prefix: str) -> dict[str, str]:
    out = git(path, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
    return dict(line.split() for line in out.splitlines())


def fsck(path: Path) -> None:
    proc = git(path, "fsck", "--full", "--no-progress", "--strict")
    assert "missing" not in proc and "broken" not in proc, proc


def landings(path: Path, rev: str = "main", session: str = "0001") -> list[str]:
    """Main's first-parent commits that record `session`."""
    out = git(
        path,
        "log",
        "--first-parent",
        "--format=%H %(trailers:key=Agentgit-Session,"
        "valueonly,separator=) %(trailers:key=Agentgit-Head,valueonly,separator=)",
        rev,
    )
    return [
        line.split()[0]
        for line in out.splitlines()
        if len(line.split()) == 3 and line.split()[1] == session
    ]


def step_tools(path: Path, name: str) -> list[str]:
    """The Agentgit-Tool trailer of every commit reachable from `name`, newest first."""
    out = git(path, "log", "--format=%(trailers:key=Agentgit-Tool,valueonly)", name)
    return out.split()


def all_objects(path: Path) -> bytes:
    """Every object of the repository, reachable or not (commits, trees, blobs, notes)."""
    return subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=path,
        capture_output=True,
        check=True,
    ).stdout


def plain_repo(path: Path, *options: str) -> Path:
    """An empty repository whose branch is main (no agentgit skeleton); ``options``
    for `git init` (an --object-format)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main", *options)
    return path


def commit_files(path: Path, contents: dict[str, str | bytes], message: str = "Edit") -> str:
    """Write `contents` (path -> text) in the checkout at `path`, commit exactly them."""
    for rel, text in contents.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    git(path, "add", "--", *contents)
    git(path, "commit", "-q", "--no-verify", "-m", message, "--", *contents)
    return rev(path, "HEAD")


# -- remotes ------------------------------------------------------------------------


def bare_remote(tmp_path: Path) -> Path:
    """An empty bare remote.git whose branch is main."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    return bare


def attach(corpus: Path, bare: Path) -> None:
    git(corpus, "remote", "add", "origin", str(bare))
    git(corpus, "push", "-q", "origin", "main")


def attached_remote(tmp_path: Path, corpus: Path) -> Path:
    """A bare remote.git, `origin` of `corpus`, holding its main."""
    bare = bare_remote(tmp_path)
    attach(corpus, bare)
    return bare


def clone(bare: Path, path: Path) -> Path:
    git(bare.parent, "clone", "-q", str(bare), str(path))
    return path


def protect_main(bare: Path) -> None:
    """The remote refuses every push to main, as a protected branch does."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  if [ "$ref" = refs/heads/main ]; then\n'
        '    echo "main is protected" >&2; exit 1\n  fi\ndone\nexit 0\n'
    )
    hook.chmod(0o755)


def github_env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.url}


# -- sessions -----------------------------------------------------------------------


def session_run(
    path: Path, turns: list[dict[str, Any]], topic: str | None = None, **settings: Any
) -> Result:
    """A whole scripted session in this process, as `agentgit session` runs one."""
    repo = Repository.discover(path)
    config = Settings(model="scripted", **settings)
    current = start(repo, config, topic=topic, model_name="scripted")
    return run(repo, current, ScriptedModel(turns), config)


def sessions_at_once(places: list[tuple[Path, Path]]) -> list[dict[str, Any]]:
    """One `agentgit session --json` process per (checkout, script), session i on
    "topic i", all started before any ends; their JSON results in the same order."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentgit",
                "session",
                "--json",
                "--topic",
                f"topic {i}",
                "--model",
                f"scripted:{script}",
            ],
            cwd=path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for i, (path, script) in enumerate(places)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out.splitlines()[-1]))
    return results


# -- a session killed at a named point (AGENTGIT_TEST_KILL_AT, agentgit/faults.py) ------

KILL_BODY = "The moon pulls the sea.\n"
KILL_LOG_ENTRY = "corpus/log/0001-kill-test.md"


def kill_keep_script(path: Path) -> Path:
    """Two steps (a draft, a note), then the piece is kept: a kill point on each."""
    return write_script(
        path,
        [
            draft("tides", "Tides", KILL_BODY, text="First step: a draft."),
            note("Drafted tides.", text="Second step: the journal."),
            crystallize(["tides"], summary="Wrote tides."),
        ],
    )


def killed(
    cwd: Path, *args: str, point: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`agentgit ARGS` SIGKILLed at `point`; it must have been killed there."""
    proc = agentgit(cwd, *args, env={**(env or {}), "AGENTGIT_TEST_KILL_AT": point})
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)
    return proc


def killed_session(
    cwd: Path, model: str, point: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A session on the topic "kill test" (so its log entry is KILL_LOG_ENTRY), killed."""
    return killed(
        cwd, "session", "--topic", "kill test", "--model", model, *args, point=point, env=env
    )


# -- review: what a person does on the remote ------------------------------------------


def reviewed(path: Path, turns: list[dict[str, Any]], review: str, topic: str = "tides") -> Result:
    repo = Repository.discover(path)
    settings = Settings(model="scripted", review=review)
    current = start(repo, settings, topic=topic, model_name="scripted")
    return run(repo, current, ScriptedModel(turns), settings)


def git_ok(path: Path, *args: str) -> bool:
    return subprocess.run(["git", *args], cwd=path, capture_output=True).returncode == 0


def merge_on_remote(bare: Path, branch: str, tmp_path: Path) -> None:
    """What the merge button does: a merge commit on the remote's main."""
    work = tmp_path / "merger"
    if work.exists():
        git(work, "fetch", "-q", "origin")
        git(work, "reset", "-q", "--hard", "origin/main")
    else:
        git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", f"origin/{branch}")
    git(work, "push", "-q", "origin", "main")


# -- the index file, damaged as a person or a crash can --------------------------------


def damage_file(path: Path, damage: str) -> None:
    """What a person or a crash can do to the index file: delete, garbage, truncate."""
    if damage == "delete":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    else:
        path.write_bytes(path.read_bytes()[:1000])


# -- a needs-review session, no remote ----------------------------------------------------

NEEDS_REVIEW_BRANCH = "session/0001-revise-a"


def needs_review_repo(corpus_repo: Path) -> Path:
    """Session 1 revises tides after session 2's revision landed: it ends needs-review,
    its branch left for a person. No remote."""
    piece = corpus_repo / "corpus" / "pieces" / "tides.md"
    piece.write_text("---\ntitle: Tides\nsummary: About tides.\n---\n\nOriginal body.\n")
    git(corpus_repo, "add", str(piece))
    git(corpus_repo, "commit", "--no-verify", "-q", "-m", "Add tides by hand")
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    a = start(repo, settings, topic="revise a", model_name="scripted")
    b = start(repo, settings, topic="revise b", model_name="scripted")
    for session, body in ((b, "B: gravity.\n"), (a, "A: the moon.\n")):
        run(
            repo,
            session,
            ScriptedModel([draft("tides", "Tides", body), crystallize(["tides"])]),
            settings,
        )
    assert git(corpus_repo, "rev-parse", "--verify", f"refs/heads/{NEEDS_REVIEW_BRANCH}")
    return corpus_repo


# -- corpus files as text ----------------------------------------------------------------

GOOD_PIECE = "---\ntitle: Good\nsummary: fine\ntags: [a]\n---\n\nBody.\n"


def log_doc(session: int = 7, **changes: Any) -> str:
    """A log entry's text, with the fields `changes` names set."""
    from agentgit.corpus.formats import LogEntry, render_log_entry

    entry = LogEntry(session=session, title="A session", started="2025-03-14T10:00:00Z")
    for key, value in changes.items():
        setattr(entry, key, value)
    return render_log_entry(entry)
