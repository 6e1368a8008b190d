"""The shape of the package (DESIGN §6): the bands are folders, stacked in the order
docs/architecture.md draws them; a folder imports only the folders below it; no import
cycle; git is spoken only inside git/, through its face outside it; only cli/ prints or
exits."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import agentgit

PACKAGE = Path(agentgit.__file__).parent
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"
GIT = PACKAGE / "git"
# Of git/, the one module that starts git's processes; the others call its runner.
GIT_RUNNER = GIT / "run.py"
# Outside git/, the one module that starts a process: the user's experiment command
# (DESIGN §10), which is not git.
EXPERIMENT_RUNNER = PACKAGE / "experiment" / "runner.py"
# What may stand at the package's top, beside the band folders.
TOP = {"__init__.py", "__main__.py"}


def _bands() -> list[str]:
    """The band folders, top to bottom, as docs/architecture.md draws them."""
    text = ARCHITECTURE.read_text("utf-8")
    block = text.split("tests/test_layout.py reads this block -->", 1)[1]
    drawing = block.split("```", 2)[1]
    return re.findall(r"^([a-z_]+)/", drawing, re.M)


def _modules() -> dict[str, Path]:
    return {
        ".".join(("agentgit", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): p
        for p in PACKAGE.rglob("*.py")
    }


def _imports(path: Path, known: set[str]) -> set[str]:
    """The agentgit modules `path` imports, at its top or inside a function alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(path, known) - {name} for name, path in modules.items()}
    # A package's __init__ is imported by its submodules' import; that edge is not a cycle.
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _git_calls(path: Path) -> list[str]:
    """Where `path` runs a process or calls a Repository's raw runner."""
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(n.split(".")[0] in ("subprocess", "pty", "git") for n in names):
                found.append(f"{path.name}:{node.lineno} imports {names}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            # `agent.run(state)` is the loop, not git: the raw runner is called on a repo.
            on_repo = isinstance(owner, ast.Name) and owner.id in ("repo", "self")
            on_repo |= isinstance(owner, ast.Attribute) and owner.attr == "repo"
            if attr in ("run_status",) or (attr == "run" and on_repo):
                found.append(f"{path.name}:{node.lineno} calls .{attr}(")
            if attr in ("system", "popen", "execv", "execvp", "spawnv") and (
                isinstance(owner, ast.Name) and owner.id == "os"
            ):
                found.append(f"{path.name}:{node.lineno} calls os.{attr}(")
    return found


def test_git_runs_only_in_the_git_layer() -> None:
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(GIT) and path != EXPERIMENT_RUNNER
        for hit in _git_calls(path)
    ]
    assert offenders == []


def test_the_experiment_runner_starts_processes_but_no_git() -> None:
    # It runs the user's command; git it speaks through the face like any other band.
    hits = _git_calls(EXPERIMENT_RUNNER)
    assert hits and all(h.split(" ", 1)[1].startswith("imports ['subprocess'") for h in hits)


def test_in_the_git_layer_only_the_runner_starts_a_process() -> None:
    assert GIT_RUNNER.is_file()
    offenders = [
        hit
        for path in sorted(GIT.rglob("*.py"))
        if path != GIT_RUNNER
        for hit in _git_calls(path)
        if hit.split(" ", 1)[1].startswith(("imports", "calls os."))
    ]
    assert offenders == []


def _reaches_into_git(path: Path) -> list[str]:
    """Where `path` imports a part of git/ rather than its face, `agentgit.git`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "agentgit.git":
                names += [f"agentgit.git.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("agentgit.git.") and (GIT / f"{name.split('.')[2]}.py").exists():
                found.append(f"{path.name}:{node.lineno} imports {name}")
    return found


def test_outside_git_code_imports_only_its_face() -> None:
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(GIT)
        for hit in _reaches_into_git(path)
    ]
    assert offenders == []


def test_the_face_check_sees_a_part_imported(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from agentgit.git import Repository\n"
        "from agentgit.git.refs import RefUpdate\n"
        "from agentgit.git import refs\n"
        "import agentgit.git.run\n",
        "utf-8",
    )
    assert [hit.split(" ", 1)[1] for hit in _reaches_into_git(sample)] == [
        "imports agentgit.git.refs",
        "imports agentgit.git.refs",
        "imports agentgit.git.run",
    ]


def test_the_git_speaker_check_sees_a_raw_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import subprocess\n"
        "def f(repo, session, agent):\n"
        "    repo.run('log')\n"
        "    session.repo.run_status('status')\n"
        "    agent.run(1)\n",
        "utf-8",
    )
    assert [hit.split(" ", 1)[1] for hit in _git_calls(sample)] == [
        "imports ['subprocess', '']",
        "calls .run(",
        "calls .run_status(",
    ]


# Test support that writes to stderr by design: a kill point says where it paused.
SPEAKS_FOR_TESTS = {PACKAGE / "core" / "faults.py"}
_OUTPUT_CALLS = {
    "print",
    "exit",
    "quit",
    "sys.exit",
    "os._exit",
    "sys.stdout.write",
    "sys.stderr.write",
    "click.echo",
    "click.secho",
}


def _output_calls(path: Path) -> list[str]:
    """Where `path` prints or exits: a call to print, exit or a stream's write."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in _OUTPUT_CALLS:
            found.append(f"{path.name}:{node.lineno} calls {ast.unparse(node.func)}(")
    return found


def test_only_the_cli_prints_or_exits() -> None:
    cli = set((PACKAGE / "cli").rglob("*.py"))
    assert PACKAGE / "cli" / "__init__.py" in cli
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in cli | SPEAKS_FOR_TESTS
        for hit in _output_calls(path)
    ]
    assert offenders == []


def test_the_output_check_sees_a_print_and_an_exit(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sys\ndef f():\n    print('x')\n    sys.exit(1)\n    log.print('fine')\n", "utf-8"
    )
    assert [hit.split(" ", 1)[1] for hit in _output_calls(sample)] == [
        "calls print(",
        "calls sys.exit(",
    ]


def _band_of(module: str, bands: list[str]) -> str | None:
    """The band folder a module lives in (None for the package's top)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in bands else None


def _upward(modules: dict[str, Path], bands: list[str]) -> list[str]:
    """Every import that runs up the stack of bands."""
    rank = {band: i for i, band in enumerate(bands)}
    found = []
    for name, path in sorted(modules.items()):
        band = _band_of(name, bands)
        if band is None:
            continue  # the top (__init__, __main__) may import any band
        for other in sorted(_imports(path, set(modules))):
            to = _band_of(other, bands)
            if to is not None and rank[to] < rank[band]:
                found.append(f"{name} ({band}/) imports {other} ({to}/)")
    return found


def test_the_drawing_names_every_folder_and_only_folders() -> None:
    bands = _bands()
    folders = sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )
    assert len(bands) == len(set(bands))
    assert sorted(bands) == folders


def test_only_the_package_face_stands_at_the_top() -> None:
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == sorted(TOP)


def test_each_module_imports_only_its_band_and_the_bands_below() -> None:
    modules = _modules()
    bands = _bands()
    assert sorted(n for n in modules if _band_of(n, bands) is None) == [
        "agentgit",
        "agentgit.__main__",
    ]
    assert _upward(modules, bands) == []


def test_the_band_check_sees_an_upward_import(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower.py", tmp_path / "upper.py"
    lower.write_text("def f():\n    from agentgit.cli.upper import g\n", "utf-8")
    upper.write_text("from agentgit.core.lower import f\n", "utf-8")
    modules = {"agentgit.core.lower": lower, "agentgit.cli.upper": upper}
    assert _upward(modules, ["cli", "core"]) == [
        "agentgit.core.lower (core/) imports agentgit.cli.upper (cli/)"
    ]
