"""Talking to a remote: fetch, push and ls-remote, unattended and bounded in time.

No call ever prompts for a password, every call shares what is left of one deadline
(`network_deadline`), and a failure is one line that says what to do: a timeout,
credentials agentgit cannot supply, or a remote that cannot be reached. A push is
never forced. When to talk to the remote, and what for, is remote.py's.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from agentgit.core.errors import AgentgitError, RemoteAuth, RemoteError, RemoteTimeout
from agentgit.git.objects import Objects
from agentgit.git.run import last_line, spawn_bounded

# Talking to a remote unattended: a stalled HTTP transfer (under 1 KB/s for the time
# left of the network bound, at most 60 s) or an SSH connection that cannot be made in
# 30 s, or goes silent for a minute, is an error rather than a job that hangs until CI
# kills it. The user's own settings win. Every network call also has a hard bound: what
# is left of its deadline (`network_deadline`), plus a little for git to say why.
HTTP_LOW_SPEED_LIMIT = "1000"
NETWORK_TIMEOUT = 60.0
KILL_GRACE = 2.0
# No password program: with no one at a terminal, or in CI, one would wait for a person
# (VS Code's terminals set GIT_ASKPASS). An empty GIT_ASKPASS also overrides core.askPass.
NO_ASKPASS = {"GIT_ASKPASS": "", "SSH_ASKPASS": "", "SSH_ASKPASS_REQUIRE": "never"}
SSH_COMMAND = (
    "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4"
)


@dataclass(frozen=True)
class PushResult:
    """What `git push --porcelain` said: per destination ref, its flag and summary."""

    ok: bool
    refs: dict[str, tuple[str, str]]
    message: str

    def rejected(self, ref: str) -> str | None:
        """Why `ref` was not updated, or None if it was."""
        flag, summary = self.refs.get(ref, ("!", self.message or "not pushed"))
        return summary if flag == "!" else None


class Remotes(Objects):
    """fetch, push and ls-remote, each within the network bound."""

    network_timeout: float = NETWORK_TIMEOUT
    _network: dict[str, str] | None = None  # network_env's variables, read once
    _deadline: float | None = None  # while a network_deadline runs

    def network_env(self, seconds: float | None = None) -> dict[str, str]:
        """For fetch, push and ls-remote: never prompt (a remote that wants a password is
        an error), and give up on a stalled connection within `seconds` rather than hang."""
        if self._network is None:
            env = {"GIT_TERMINAL_PROMPT": "0"}
            if not (
                os.environ.get("GIT_HTTP_LOW_SPEED_LIMIT") or self.config_get("http.lowSpeedLimit")
            ):
                env["GIT_HTTP_LOW_SPEED_LIMIT"] = HTTP_LOW_SPEED_LIMIT
            if not (
                os.environ.get("GIT_SSH_COMMAND")
                or os.environ.get("GIT_SSH")
                or self.config_get("core.sshCommand")
            ):
                env["GIT_SSH_COMMAND"] = SSH_COMMAND
            if unattended():
                env.update(NO_ASKPASS)
            self._network = env
        env = dict(self._network)
        if "GIT_HTTP_LOW_SPEED_LIMIT" in env:
            left = self.network_timeout if seconds is None else seconds
            env["GIT_HTTP_LOW_SPEED_TIME"] = str(max(1, math.ceil(min(left, 60))))
        return env

    @contextmanager
    def network_deadline(self, seconds: float | None = None) -> Iterator[None]:
        """One deadline shared by every network call inside (a landing, and the park that
        follows its failure): the bound is on the whole, not on each call. Nested, the
        outer deadline holds."""
        if self._deadline is not None:
            yield
            return
        self._deadline = time.monotonic() + (self.network_timeout if seconds is None else seconds)
        try:
            yield
        finally:
            self._deadline = None

    def _network_call(self, what: str, remote: str, *args: str) -> tuple[int, str, str]:
        """A network git call within what is left of the deadline (the whole network bound
        when none is running). Past it, git is stopped and the call is a timeout."""
        bound = self.network_timeout
        left = bound if self._deadline is None else self._deadline - time.monotonic()
        if left <= 0:
            raise RemoteTimeout(
                f"{what} {remote}: timed out (no time left of the {bound:g} s network bound)"
            )
        result = spawn_bounded(list(args), self.top, self.network_env(left), left + KILL_GRACE)
        if result is None:
            raise RemoteTimeout(
                f"{what} {remote}: timed out (stopped at the end of the {bound:g} s network bound)"
            )
        return result

    def remote_url(self, remote: str) -> str | None:
        return self.config_get(f"remote.{remote}.url")

    def fetch(self, remote: str, *refspecs: str) -> None:
        code, out, err = self._network_call(
            "fetch from",
            remote,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            *refspecs,
        )
        if code != 0:
            raise network_failure("fetch from", remote, err or out)

    def ls_remote(self, remote: str, *patterns: str) -> dict[str, str]:
        code, out, err = self._network_call(
            "reading", remote, "ls-remote", "--refs", remote, *patterns
        )
        if code != 0:
            raise network_failure("reading", remote, err or out)
        refs = {}
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            refs[name] = sha
        return refs

    def push(
        self, remote: str, refspecs: list[str], *, atomic: bool = False, leases: Iterable[str] = ()
    ) -> PushResult:
        """Push without ever forcing (a `+` refspec is refused here); leases are
        `--force-with-lease=<ref>:<expect>` values (empty expect: the ref must not exist)."""
        assert not any(spec.startswith("+") for spec in refspecs)
        args = ["push", "--porcelain", "--no-verify"]
        if atomic:
            args.append("--atomic")
        args += [f"--force-with-lease={lease}" for lease in leases]
        code, out, err = self._network_call("push to", remote, *args, remote, *refspecs)
        refs: dict[str, tuple[str, str]] = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and len(parts[0]) == 1:
                refs[parts[1].rpartition(":")[2]] = (parts[0], parts[2])
        if code != 0 and not refs:
            # No verdict on any ref: the remote was never reached, or the connection
            # dropped, perhaps after the remote applied the push. That is not a refusal,
            # and must not be taken for one: what the remote has decides.
            failure = network_failure("push to", remote, err or out)
            if self._remote_has(remote, refspecs):
                return PushResult(
                    True, {_dest(spec): ("*", "[confirmed by ls-remote]") for spec in refspecs}, ""
                )
            raise failure
        return PushResult(code == 0, refs, last_line(err or out) if code else "")

    def _remote_has(self, remote: str, refspecs: list[str]) -> bool:
        """Whether the remote holds exactly what `refspecs` pushed (a deletion: the ref is
        gone). False when that cannot be told: the remote still does not answer."""
        try:
            theirs = self.ls_remote(remote, *(_dest(spec) for spec in refspecs))
        except AgentgitError:
            return False
        for spec in refspecs:
            source = spec.partition(":")[0]
            want = self.rev_parse(source) if source else None
            if source and want is None:  # not a commit: a tag or notes ref, by name
                code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", source)
                want = out.strip() if code == 0 else None
            if theirs.get(_dest(spec)) != want:
                return False
        return True


def unattended() -> bool:
    """No person to answer a prompt: no terminal, or a CI job."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return True
    try:
        return not (sys.stdin.isatty() and sys.stderr.isatty())
    except (AttributeError, ValueError):  # stdin closed or replaced
        return True


def _dest(refspec: str) -> str:
    return refspec.rpartition(":")[2]


_TIMEOUT = ("curl 28", "Operation too slow", "timed out", "Timeout", "timeout")
# An HTTP status as git reports it ("The requested URL returned error: 403", "HTTP 401"),
# not any 401 or 403 in the text: a remote's path or port may hold those digits.
_AUTH_STATUS = re.compile(r"(?:returned error|HTTP(?:/[\d.]+)?)[: ]+40[13](?!\d)")
_AUTH = (
    "Authentication failed",
    "could not read Username",
    "could not read Password",
    "terminal prompts disabled",
    "Permission denied (publickey",
    "Host key verification failed",
)


def network_failure(what: str, remote: str, text: str) -> RemoteError:
    """One line for a network git call that failed: a timeout says so, refused
    credentials say how to supply them (agentgit never prompts), anything else is the
    remote that could not be reached, with git's own reason."""
    reason = _network_reason(text)
    if any(word in text for word in _AUTH) or _AUTH_STATUS.search(text):
        return RemoteAuth(
            f"{what} {remote}: authentication failed ({reason}); agentgit never asks for a "
            "password, so give git one it can use unattended: a credential helper "
            "(`git config credential.helper store`, or your platform's) or a token "
            "(GITHUB_TOKEN in CI), or an SSH key for an ssh:// remote"
        )
    if any(word in text for word in _TIMEOUT):
        return RemoteTimeout(f"{what} {remote}: timed out ({reason})")
    return RemoteError(
        f"{what} {remote}: cannot reach the remote ({reason}); check "
        f"`git remote -v` and the network"
    )


def _network_reason(text: str) -> str:
    """Every `error:`/`fatal:` line git gave, joined: a stalled transfer says `RPC failed;
    curl 28 Operation too slow` first and `the remote end hung up` after."""
    lines = [
        ln.strip().split(":", 1)[1].strip()
        for ln in text.splitlines()
        if ln.strip().startswith(("fatal:", "error:")) and ln.split(":", 1)[1].strip()
    ]
    seen = list(dict.fromkeys(lines))
    return "; ".join(seen[:3]) if seen else last_line(text)
