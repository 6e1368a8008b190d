"""`agentgit demo`: three scripted sessions that show the whole loop, offline."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import agentgit, git

from agentgit.corpus import formats


def test_the_demo_keeps_abandons_refuses_a_near_duplicate_and_draws_the_map(
    tmp_path: Path,
) -> None:
    where = tmp_path / "demo"
    done = agentgit(tmp_path, "demo", str(where))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    log = git(where, "log", "--first-parent", "--format=%s", "main").splitlines()
    assert log[:3] == [
        "Crystallize session 0003: Keep what you discard",  # it revised 0001's piece
        "Abandon session 0002: needs measurements the corpus does not have",
        "Crystallize session 0001: Keep what you discard",
    ]
    # The third session's keep of a restatement was refused, naming its neighbour; it
    # revised that piece instead, and the duplicate draft never reached main.
    assert "is a near-duplicate of pieces/keep-what-you-discard.md" in out
    assert not (where / "corpus" / "pieces" / "discarded-work-is-evidence.md").exists()
    piece = (where / "corpus" / "pieces" / "keep-what-you-discard.md").read_text("utf-8")
    assert "Evidence has to be findable to count." in piece
    names = sorted(p.name for p in (where / "corpus" / "log").glob("*.md"))
    entry = formats.parse_log_entry((where / "corpus" / "log" / names[-1]).read_text("utf-8"), "x")
    assert entry.pieces == ["keep-what-you-discard"]
    assert [n.piece for n in entry.novelty] == ["keep-what-you-discard"]
    trailers = git(where, "log", "-1", "--format=%(trailers:key=Agentgit-Novelty)", "main")
    assert trailers.startswith("Agentgit-Novelty: keep-what-you-discard ")
    # A question opened, carried and named dead.
    steps = [
        yaml.safe_load((where / "corpus" / "log" / n).read_text("utf-8").split("---")[1]).get(
            "questions"
        )
        for n in names
    ]
    assert [s[0]["status"] for s in steps] == ["open", "pursued", "dropped"]
    assert "archive-pruning  dropped  carried by 3 sessions" in out
    # Its sessions earn different verdicts, which it prints (DESIGN §8, the terrain).
    assert "agentgit landscape" in out
    assert "0001  leaping" in out and "0002  surveying" in out and "0003  exploring" in out
    assert entry.ground is not None and entry.ground["wrote"] == ["keep-what-you-discard"]
    # It ends with the map, and says where it is.
    page = where / ".git" / "agentgit" / "map.html"
    assert f"The map: {page}" in out
    data = re.search(
        r'<script type="application/json" id="landscape">(.*?)</script>',
        page.read_text("utf-8"),
        re.S,
    )
    assert data and len(json.loads(data.group(1))["sessions"]) == 3
    checked = agentgit(where, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ctrl_c_during_the_demo_prints_a_resume_hint_that_works(tmp_path: Path) -> None:
    """The hint names the demo's directory, and resuming there needs no API key: the
    transcript names the shipped script, not a bare "scripted" taken for a Claude id."""
    where = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentgit", "demo", str(where)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AGENTGIT_TEST_PAUSE_AT": "step:1", "ANTHROPIC_API_KEY": ""},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.strip() == "agentgit-test: paused at step":
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    (hint,) = [x for x in err.splitlines() if x.startswith("agentgit:")]
    found = re.search(r"`cd (\S+) && (.+) resume 1`", hint)
    assert found and Path(found[1]) == where.resolve(), hint
    done = agentgit(Path(found[1]), "resume", "1", env={"ANTHROPIC_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
