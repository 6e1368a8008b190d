"""Running git: the one place a git process is started, and what its failures mean.

`Git` is the base of `Repository` (repo.py): a repository's paths, `run` (stdin in,
text out, a failure raised as GitError) and `run_status` (the exit status, for the
plumbing whose status is its answer), its config and the identity agentgit commits as.
The functions below start git (`spawn`, `spawn_bounded` for network calls, which must
be stoppable) and turn what it wrote on stderr into one line: a lock left behind or a
repository git cannot write to is named, since retrying would only hide it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path

from agentgit import stops
from agentgit.errors import GitError, GitLocked, RepositoryReadOnly

# Used when the machine has no git identity (a fresh CI runner, `agentgit demo` on a
# new laptop): agentgit's commits must not fail for want of user.name.
FALLBACK_NAME = "agentgit"
FALLBACK_EMAIL = "agentgit@localhost"


class Git:
    """A non-bare git repository (its main worktree), and git run in it."""

    def __init__(self, top: Path, common_dir: Path) -> None:
        self.top = top
        self.common_dir = common_dir
        self._identity: dict[str, str] | None = None

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        ok: Iterable[int] = (0,),
    ) -> str:
        return run_git(list(args), cwd=cwd or self.top, input=input, env=env, ok=ok)

    def run_status(
        self,
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str]:
        proc = spawn(list(args), cwd=cwd or self.top, input=input, env=env)
        return proc.returncode, proc.stdout, proc.stderr

    @property
    def state_dir(self) -> Path:
        """Where agentgit keeps session worktrees, transcripts and locks: inside the git dir."""
        return self.common_dir / "agentgit"

    def identity_env(self) -> dict[str, str]:
        """Author/committer for agentgit's commits: the configured one, else a fallback."""
        if self._identity is None:
            env: dict[str, str] = {}
            if not os.environ.get("GIT_AUTHOR_NAME") and not self.config_get("user.name"):
                env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = FALLBACK_NAME
            if not os.environ.get("GIT_AUTHOR_EMAIL") and not self.config_get("user.email"):
                env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = FALLBACK_EMAIL
            self._identity = env
        return self._identity

    def config_get(self, key: str) -> str | None:
        code, out, _ = self.run_status("config", "--get", key)
        return out.strip() if code == 0 else None

    def config_set(self, key: str, value: str) -> None:
        self.run("config", key, value)


def spawn(
    args: list[str],
    cwd: Path,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = None
    if env:
        full_env = {**os.environ, **env}
    try:
        with stops.held():  # a stop waits for git: killing it could leave a lock behind
            return subprocess.run(
                ["git", *args],
                cwd=cwd,
                input=input,
                env=full_env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="surrogateescape",
                timeout=timeout,
            )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc


def spawn_bounded(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int, str, str] | None:
    """git with a hard time limit; None when it was stopped. git runs in a process group
    of its own, so its helpers (git-remote-https, ssh) are stopped with it and cannot
    hold its output open."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return None
    except BaseException:  # Ctrl-C, a signal: git must not go on alone
        _kill_group(proc)
        proc.wait()
        raise
    return proc.returncode, out, err


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_git(
    args: list[str],
    cwd: Path,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    ok: Iterable[int] = (0,),
) -> str:
    proc = spawn(args, cwd=cwd, input=input, env=env)
    if proc.returncode not in tuple(ok):
        raise_if_stuck(proc.stderr)
        raise GitError(f"git {args[0]} failed: {last_line(proc.stderr or proc.stdout)}")
    return proc.stdout


def run_git_bytes(args: list[str], cwd: Path, input: bytes) -> bytes:
    """git with bytes in and out (blob contents are not always text)."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        why = last_line(proc.stderr.decode(errors="replace"))
        raise GitError(f"git {args[0]} failed: {why}")
    return proc.stdout


_LOCK = re.compile(r"Unable to create '([^']+\.lock)': File exists")
_READ_ONLY = (
    "Permission denied",
    "Read-only file system",
    "unable to create directory",
    "insufficient permission",
)


# A lock another live git process holds (a concurrent session's ref update) is gone in
# milliseconds; one still there after this long was left behind by a process that died.
LOCK_PATIENCE = 2.0


def left_behind(lock: Path) -> bool:
    deadline = time.monotonic() + LOCK_PATIENCE
    while lock.exists():
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)
    return False


def lock_message(path: Path | str) -> str:
    return f"git is locked: remove {path} if no git process is running"


def raise_if_stuck(text: str) -> None:
    """A lock file left behind or a repository git cannot write to: named, since retrying
    (or reporting "main kept moving") would only hide it."""
    lock = _LOCK.search(text)
    if lock and left_behind(Path(lock.group(1))):
        raise GitLocked(lock_message(lock.group(1)))
    if any(word in text for word in _READ_ONLY):
        raise RepositoryReadOnly(
            f"cannot write to this repository ({_reason(text)}): agentgit records every "
            "session in git, so it needs write access to the .git directory"
        )


def _reason(text: str) -> str:
    """git's own verdict: its first `fatal:` or `error:` line (the lines after it are
    advice), else the last line."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:")) and line.split(":", 1)[1].strip():
            return line.split(":", 1)[1].strip()
    return last_line(text)


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"
