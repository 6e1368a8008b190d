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
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from agentgit.core import stops
from agentgit.core.errors import GitError, GitLocked, NotARepository, RepositoryReadOnly

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
        """Where agentgit keeps session worktrees, transcripts and locks: inside the git dir.
        Something else by that name (a file) is named in one line, not met later as an
        internal error deep in a session."""
        path = self.common_dir / "agentgit"
        if not path.is_dir() and (path.exists() or path.is_symlink()):
            raise NotARepository(
                f"{path}: is not a directory; agentgit keeps its state there (.git/agentgit):"
                " move it away"
            )
        return path

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


NO_GIT = "git is not installed or not on PATH"


def spawn(
    args: list[str],
    cwd: Path,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """git run to its end, its output as text. (subprocess.run, not `_start`: it writes
    `input` and reads both outputs at once, and kills git if agentgit is stopped.)"""
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
            )
    except FileNotFoundError as exc:
        raise GitError(NO_GIT) from exc


def _start(args: list[str], cwd: Path, **options: Any) -> subprocess.Popen[Any]:
    """git started and left running, stdout and stderr piped (for the caller to read)."""
    try:
        return subprocess.Popen(
            ["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options
        )
    except FileNotFoundError as exc:
        raise GitError(NO_GIT) from exc


def spawn_bounded(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int, str, str] | None:
    """git with a hard time limit; None when it was stopped. git runs in a process group
    of its own, so its helpers (git-remote-https, ssh) are stopped with it and cannot
    hold its output open."""
    proc = _start(
        args,
        cwd,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        start_new_session=True,
    )
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


class BlobReader:
    """One `git cat-file --batch` kept open for a process's reads, as git-revise keeps
    one: a session reads blobs at most of its tool calls, and starting git for each read
    cost more than the read. Started on first use. One that died (a signal to the
    process group) is started again, once per read; one a read was cut short in (an
    exception, a stop) is closed, and the next read starts another. It ends when its
    stdin closes: when the reader is collected, closed, or the process exits, however
    it exits."""

    # Requests written at once: they fit in the smallest buffer a pipe has (one 4 KB
    # page: Linux gives no more to a user with many pipes open), 63 sha256 ids and their
    # newlines, so git answering them can never wait on a writer that waits on git.
    # (10,000 blobs read in chunks of 63 take 5% longer than in chunks of 500.)
    CHUNK = 4096 // 65

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    def read(self, shas: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        try:
            for start in range(0, len(shas), self.STREAMED):
                part = shas[start : start + self.STREAMED]
                try:
                    found.update(self._read(part))
                except (_Died, OSError):  # a fresh one answers, or says why it cannot
                    self.close()
                    try:
                        found.update(self._read(part))
                    except (_Died, OSError) as exc:
                        raise GitError(f"git cat-file failed: {self._why(exc)}") from None
        except BaseException:
            # A stop mid-answer (a signal to agentgit alone) leaves the rest of git's
            # answer in the pipe, where the next read would take it for its own.
            self.close()
            raise
        return found

    # Past one chunk, the requests are written by a thread while this one reads the
    # answers, so git never waits for the next request: asked a chunk at a time, it
    # answered 10,000 blobs in 0.45 s, where it streams them in 0.26 s.
    STREAMED = 20_000  # ids a thread is handed at once, so a failure repeats at most these

    def _read(self, shas: list[str]) -> dict[str, bytes]:
        proc = self._started()
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin
        if len(shas) <= self.CHUNK:
            stdin.write("".join(f"{sha}\n" for sha in shas).encode())
            stdin.flush()
            return self._answers(proc, shas)

        def ask() -> None:
            # A reader that stopped reading (it failed, or was closed) closes the pipe:
            # the requests left are not needed.
            with suppress(OSError, ValueError):
                for start in range(0, len(shas), self.CHUNK):
                    stdin.write(
                        "".join(f"{sha}\n" for sha in shas[start : start + self.CHUNK]).encode()
                    )
                    stdin.flush()

        writer = threading.Thread(target=ask, name="agentgit-cat-file", daemon=True)
        writer.start()
        try:
            answers = self._answers(proc, shas)
        except BaseException:
            self.close()  # the answers stopped short: the writer's pipe closes, and it ends
            writer.join()
            raise
        writer.join()  # every answer read: git read every request, so the writer is done
        return answers

    def _answers(self, proc: subprocess.Popen[bytes], shas: list[str]) -> dict[str, bytes]:
        assert proc.stdout is not None
        blobs = {}
        for sha in shas:
            header = proc.stdout.readline().split()
            if not header:
                raise _Died
            if len(header) < 3:  # "<sha> missing"
                continue
            size = int(header[2])
            data = proc.stdout.read(size + 1)
            if len(data) != size + 1:
                raise _Died
            blobs[sha] = data[:size]
        return blobs

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = _start(["cat-file", "--batch"], self.cwd, stdin=subprocess.PIPE)
            self._finalizer = weakref.finalize(self, _end_reader, self._proc)
        return self._proc

    def _why(self, exc: BaseException) -> str:
        """What a reader that stopped answering said on its way out (it is closed)."""
        proc, why = self._proc, ""
        if proc is not None and proc.stdin is not None and proc.stderr is not None:
            with suppress(OSError):
                proc.stdin.close()
            with suppress(OSError, ValueError):
                why = last_line(proc.stderr.read().decode(errors="replace"))
        self.close()
        return why or str(exc) or "it stopped answering"

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._proc = self._finalizer = None


class _Died(Exception):
    """The reader's output ended before its answer did."""


def _end_reader(proc: subprocess.Popen[bytes]) -> None:
    # Its output first: a read cut short leaves git blocked writing an answer no one
    # reads, and a writer thread blocked on git's full stdin, holding that pipe's lock,
    # which closing stdin first would wait on for ever. With stdout closed git stops
    # (SIGPIPE), its stdin fails the writer, and the lock is let go.
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        with suppress(OSError):
            if stream is not None:
                stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
