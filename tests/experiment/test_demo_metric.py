"""`agentgit demo --metric` runs offline in seconds and shows every status and the
refused edit of the evaluator (DESIGN §10)."""

from __future__ import annotations

from pathlib import Path

from conftest import agentgit, git


def test_the_metric_demo_shows_a_keep_a_discard_a_crash_a_refusal_and_a_timeout(
    tmp_path: Path,
) -> None:
    done = agentgit(tmp_path, "demo", "--metric", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for seen in ("baseline", " keep ", " discard ", " crash ", " timeout ", "is not editable"):
        assert seen in out, seen
    assert "Agentgit-Metric: loss=1.0 baseline=16.0 noise=0.0 runs=4 kept=1" in out
    demo = tmp_path / "demo"
    assert "X = 6.0" in git(demo, "show", "main:train.py")
    assert git(demo, "status", "--porcelain") == ""
    again = agentgit(tmp_path, "demo", "--metric", str(demo))
    assert again.returncode == 1 and "not empty" in again.stderr
