"""The benchmark's own moving parts, on a corpus small enough for the suite: what
bench/run.py reads from a session (its events) must keep arriving as it expects."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

from conftest import ROOT, git


def bench() -> ModuleType:
    """bench/run.py as a module (bench/ is not a package), loaded once."""
    if "bench_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = module  # its dataclass looks its module up there
        spec.loader.exec_module(module)
    return sys.modules["bench_run"]


def test_a_scripted_session_is_timed_from_its_events(tmp_path: Path) -> None:
    run = bench()
    repo = tmp_path / "small"
    run.gen_corpus.generate(repo, 10, 3, seed=1, echo=lambda _: None)
    agentgit = shutil.which("agentgit", path=str(Path(sys.executable).parent))
    assert agentgit is not None
    row = run.scripted_session(repo, agentgit, run.short_script("t"), scripts=tmp_path)
    assert row["turns"] == 2 and row["session"] == 4
    assert 0 < row["startup_s"] < row["seconds"] and 0 < row["landing_s"] < row["seconds"]
    assert row["startup_s"] + row["landing_s"] <= row["seconds"]
    subject = git(repo, "log", "-1", "--format=%s", "main")
    assert subject.startswith("Crystallize session 0004")
    assert not list(tmp_path.glob("session-*.jsonl"))  # the script is cleaned up


def test_places_are_told_apart_by_their_file_system(tmp_path: Path) -> None:
    run = bench()
    assert run.fs_type(Path("/proc/self")) == "proc"
    assert run.fs_type(tmp_path) not in ("", "proc")


def test_the_landscape_is_timed_with_its_cache_and_without(tmp_path: Path) -> None:
    run = bench()
    repo = tmp_path / "small"
    run.gen_corpus.generate(repo, 10, 3, seed=1, echo=lambda _: None)
    agentgit = shutil.which("agentgit", path=str(Path(sys.executable).parent))
    assert agentgit is not None
    warm, cold = run.bench_landscape(repo, agentgit, 1)
    assert warm["key"] == cold["key"] == "landscape" and warm["goal"] == "< 5 s"
    assert warm["records"] >= 10 + 3  # a piece record each, a session record each
    assert warm["met"] and cold["met"] is None


def test_search_is_measured_by_name_bm25_and_fused(tmp_path: Path) -> None:
    """Per call and in the 40-turn session, each search is measured by its name, never
    as "auto" (fused where the extra is installed, BM25 where not): the figures of two
    installs stay comparable. The test extra installs wordllama, so fused is here."""
    run = bench()
    repo = tmp_path / "small"
    run.gen_corpus.generate(repo, 10, 3, seed=1, echo=lambda _: None)
    assert run.ENV["AGENTGIT_SEARCH"] == "bm25" and run.search_modes() == ["bm25", "fused"]
    searches = [f for f in run.bench_tools(repo, 1) if f["key"] == "search"]
    assert [f["label"] for f in searches] == [
        "`search`, per call, BM25 (indexed)",
        "`search`, per call, fused with embeddings",
    ]
    assert (
        searches[1]["vectors_kept"] >= 10 and searches[1]["first_call_embedding_every_file_s"] > 0
    )
    agentgit = shutil.which("agentgit", path=str(Path(sys.executable).parent))
    assert agentgit is not None
    row = run.bench_session(repo, agentgit, 1, "fused")
    assert row["label"].endswith("`agentgit session`), fused with embeddings")
    assert row["search"] == "fused" and len(row["untimed_s"]) == run.SESSION_WARMUPS
    assert len(row["sessions"]) == run.SESSION_WARMUPS + 1
