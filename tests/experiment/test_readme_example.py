"""The README's worked example of the other loop does what the README says: its two files
and its [metric] table, taken from the README itself, give the baseline it names, and
the idea it names is a keep."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import agentgit, git
from helpers import commit_files
from scripts import write_script
from toy import edit_file, keep, run

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text("utf-8")
    return text[text.index("## The other loop\n") : text.index("## Security\n")]


def block(text: str, language: str) -> str:
    found = re.search(rf"^```{language}\n(.*?)^```$", text, re.S | re.M)
    assert found, f"no {language} block in the README's section"
    return found.group(1)


def test_the_readmes_worked_example_measures_what_it_says(corpus_repo: Path) -> None:
    text = section()
    code = block(text, "python")
    evaluate, train = code.split("# train.py", 1)
    toml = block(text, "toml")
    baseline = re.search(r"measures the baseline \(([0-9.]+)\)", text)
    idea = re.search(r"say `STEPS = (\d+)`", text)
    assert baseline and idea, "the README names the baseline and an idea"
    settings = (corpus_repo / "agentgit.toml").read_text("utf-8")
    commit_files(
        corpus_repo,
        {
            "evaluate.py": evaluate,
            "train.py": "# train.py" + train,
            "agentgit.toml": f"{settings}\n{toml}",
        },
        "The README's example",
    )
    script = write_script(
        corpus_repo.parent / "s.jsonl",
        [
            edit_file("train.py", "STEPS = 0.05, 10", f"STEPS = 0.05, {idea.group(1)}"),
            run("more steps descend nearer the minimum"),
            keep("More steps."),
        ],
    )
    done = agentgit(corpus_repo, "session", "--topic", "steps", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
    tsv = agentgit(corpus_repo, "experiments", "--tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:5] == ["commit", "val_bpb", "memory_gb", "status", "description"]
    rows = [line.split("\t") for line in tsv[1:]]
    assert [(r[1], r[3]) for r in rows] == [
        (f"{float(baseline.group(1)):.6f}", "baseline"),
        ("1.000631", "keep"),
    ]
    body = git(corpus_repo, "log", "-1", "--format=%B", "main")
    assert f"Agentgit-Metric: val_bpb=1.000631 baseline={baseline.group(1)} noise=0.0 runs=1" in (
        body
    )
