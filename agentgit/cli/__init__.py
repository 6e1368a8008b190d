"""The command line: `main()` (every error becomes one line and an exit code) and the
group that gathers the commands from their modules: cli_setup (init, check, demo),
cli_session (session, resume, abandon, sync), cli_read (log, questions, show, map,
replay). These cli*.py modules are the only layer that prints or exits.

Exit codes: 0 a session ended with a judgement (kept, abandoned or needs-review) or a
command succeeded; 1 an error (one line, no traceback; AGENTGIT_DEBUG=1 shows it);
2 usage; 3 interrupted and resumable (the model or, while landing, the remote was down).
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from agentgit import __version__
from agentgit.cli import experiments, read, session, setup, terrain
from agentgit.cli.shared import _echo
from agentgit.core.errors import AgentgitError

EXIT_INTERRUPTED = 3


def main() -> None:
    from agentgit.core import stops

    stops.install()
    try:
        _main()
    finally:
        if stops.stopping():  # the exit code is decided: no later signal may change it
            stops.quiet()


def _main() -> None:
    try:
        cli.main(prog_name="agentgit", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click's word for a signal
            _interrupted(exc.__cause__)
        _echo("agentgit: aborted", err=True)
        sys.exit(1)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # bare `agentgit`: the help, as before
        sys.exit(2)
    except click.UsageError as exc:
        # One line, like every other error, naming where the help is.
        hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx else ""
        _echo(f"agentgit: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        _echo(f"agentgit: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except AgentgitError as exc:
        _debug()
        _echo(f"agentgit: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except Exception as exc:  # the last line of defence: still one line
        _debug()
        _echo(f"agentgit: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


def _interrupted(exc: KeyboardInterrupt) -> None:
    why = getattr(exc, "message", "stopped by the user")
    _echo(f"agentgit: interrupted: {why}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _debug() -> None:
    if os.environ.get("AGENTGIT_DEBUG", "") not in ("", "0"):
        traceback.print_exc()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentgit")
def cli() -> None:
    """agentgit: a git-native agent that versions its own thinking.

    A corpus of markdown pieces and a log of sessions live in a git repository. Each
    session is a branch; each exploration a commit carrying the model's reasoning. A
    session that crystallizes a piece merges to main; one that does not is abandoned,
    its log entry still lands on main and its branch is archived, never lost.
    """


# In the order they were always registered; `--help` lists them alphabetically.
cli.add_command(setup.init)
cli.add_command(setup.check)
cli.add_command(session.session)
cli.add_command(session.resume)
cli.add_command(session.abandon)
cli.add_command(session.sync)
cli.add_command(read.log_command)
cli.add_command(read.questions)
cli.add_command(read.show)
cli.add_command(read.map_command)
cli.add_command(read.replay)
cli.add_command(setup.demo)
cli.add_command(terrain.landscape)
cli.add_command(experiments.experiments)


if __name__ == "__main__":
    main()
