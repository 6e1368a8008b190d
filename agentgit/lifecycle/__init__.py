"""A session's lifecycle, as one API (DESIGN §2): what the benchmarks, the tests and
code outside agentgit call. Each stage lives in its own module; this one only names
them. No module of the package imports it: the commands import the stages they run.
"""

from agentgit.lifecycle.abandon import abandon
from agentgit.lifecycle.claim import claim, start
from agentgit.lifecycle.explore import orientation, program_warning, run, system_prompt
from agentgit.lifecycle.judge import finish
from agentgit.lifecycle.land import land
from agentgit.lifecycle.reopen import check_open, open_session, read_transcript, resume
from agentgit.session.mainline import find_landing, log_commit
from agentgit.session.workspace import Result, Session, session_branches

__all__ = [
    "Result",
    "Session",
    "abandon",
    "check_open",
    "claim",
    "find_landing",
    "finish",
    "land",
    "log_commit",
    "open_session",
    "orientation",
    "program_warning",
    "read_transcript",
    "resume",
    "run",
    "session_branches",
    "start",
    "system_prompt",
]
