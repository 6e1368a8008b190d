"""The [metric] table is checked like every setting (DESIGN §10): every bad value is a
usage error (exit 2) that names the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agentgit, git
from scripts import abandon, write_script

from agentgit.core.errors import UsageError
from agentgit.core.metric import Metric, check_editable
from agentgit.core.settings import load

GOOD = (
    'name = "loss"\ncommand = "python train.py"\n'
    "pattern = '^loss: (\\S+)'\neditable = [\"train.py\"]\n"
)


def metric_error(tmp_path: Path, extra: str, base: str = GOOD) -> str:
    (tmp_path / "agentgit.toml").write_text(f"[metric]\n{base}{extra}")
    with pytest.raises(UsageError) as caught:
        load(tmp_path, env={})
    assert caught.value.exit_code == 2
    return caught.value.message


def test_a_good_table_loads_with_its_defaults(tmp_path: Path) -> None:
    (tmp_path / "agentgit.toml").write_text(f"[metric]\n{GOOD}direction = 'higher'\n")
    metric = load(tmp_path, env={}).metric
    assert isinstance(metric, Metric)
    assert (metric.name, metric.direction, metric.editable) == ("loss", "higher", ("train.py",))
    assert (metric.run_minutes, metric.baseline_runs, metric.noise_factor) == (5.0, 1, 2.0)
    assert metric.better(2.0, 1.0) and not metric.better(1.0, 2.0)


def test_no_table_is_no_metric(tmp_path: Path) -> None:
    assert load(tmp_path, env={}).metric is None


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("colour = 'red'\n", "colour is not a metric key"),
        ("run_minute = 3\n", "did you mean run_minutes?"),
        ("direction = 'sideways'\n", "direction must be one of lower, higher"),
        ("run_minutes = 0\n", "run_minutes must be more than 0"),
        ("run_minutes = -1\n", "run_minutes must be more than 0"),
        ("run_minutes = 'five'\n", "run_minutes must be a number"),
        ("run_minutes = nan\n", "run_minutes must be a finite number"),
        ("baseline_runs = 0\n", "baseline_runs must be more than 0"),
        ("baseline_runs = 1.5\n", "baseline_runs must be a whole number"),
        ("max_runs = 0\n", "max_runs must be more than 0"),
        ("min_gain = -0.1\n", "min_gain must be at least 0"),
        ("noise_factor = -2\n", "noise_factor must be at least 0"),
        ("noise_factor = true\n", "noise_factor must be a number"),
    ],
)
def test_every_bad_value_names_its_key(tmp_path: Path, extra: str, named: str) -> None:
    assert named in metric_error(tmp_path, extra)


@pytest.mark.parametrize(
    ("base", "named"),
    [
        ('name = "x"\ncommand = "c"\neditable = ["a"]\n', "pattern is required"),
        (
            'name = "x"\ncommand = "c"\npattern = "^loss: \\\\S+"\neditable = ["a"]\n',
            "pattern needs a group",
        ),
        (
            'name = "x"\ncommand = "c"\npattern = "(unclosed"\neditable = ["a"]\n',
            "pattern does not compile",
        ),
        ('name = "x"\ncommand = ""\npattern = "(x)"\neditable = ["a"]\n', "command must be"),
        ('name = "x y"\ncommand = "c"\npattern = "(x)"\neditable = ["a"]\n', "name must be one"),
        ('name = "x"\ncommand = "c"\npattern = "(x)"\neditable = []\n', "editable must be"),
        ('name = "x"\ncommand = "c"\npattern = "(x)"\neditable = ["../a"]\n', "editable globs"),
    ],
)
def test_bad_required_keys_are_named(tmp_path: Path, base: str, named: str) -> None:
    assert named in metric_error(tmp_path, "", base=base)


def test_a_metric_that_is_not_a_table(tmp_path: Path) -> None:
    (tmp_path / "agentgit.toml").write_text('metric = "loss"\n')
    with pytest.raises(UsageError, match="metric must be a table"):
        load(tmp_path, env={})


def test_an_editable_glob_matching_no_tracked_file_is_named() -> None:
    metric = Metric("loss", "c", "(x)", ("train.py", "models/*.py"))
    check_editable(metric, ["train.py", "models/net.py", "evaluate.py"])
    with pytest.raises(UsageError, match="editable 'models/\\*.py' matches no tracked file"):
        check_editable(metric, ["train.py", "evaluate.py"])


def test_a_glob_without_a_slash_matches_in_any_folder() -> None:
    metric = Metric("loss", "c", "(x)", ("*.cfg",))
    assert metric.is_editable("a/b/model.cfg") and not metric.is_editable("evaluate.py")


@pytest.mark.parametrize(
    ("extra", "base", "named"),
    [
        ("colour = 'red'\n", GOOD, "colour is not a metric key"),
        ("direction = 'up'\n", GOOD, "direction must be one of lower, higher, not 'up'"),
        ("", GOOD.replace("(\\S+)", "\\S+"), "pattern needs a group"),
        ("", GOOD.replace("(\\S+)", "(\\S+"), "pattern does not compile"),
        ("", GOOD.replace("train.py", "model.py"), "editable 'model.py' matches no tracked file"),
        ("run_minutes = 0\n", GOOD, "run_minutes must be more than 0, not 0"),
        ("run_minutes = -5\n", GOOD, "run_minutes must be more than 0, not -5"),
    ],
)
def test_the_cli_exits_2_in_one_line_naming_the_key_and_claims_nothing(
    corpus_repo: Path, tmp_path: Path, extra: str, base: str, named: str
) -> None:
    script = write_script(tmp_path / "s.jsonl", [abandon("never reached")])
    (corpus_repo / "train.py").write_text("X = 3\n")
    (corpus_repo / "agentgit.toml").write_text(f"[metric]\n{base}{extra}")
    git(corpus_repo, "add", "train.py", "agentgit.toml")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "A metric")
    result = agentgit(corpus_repo, "session", "--model", f"scripted:{script}")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"agentgit: agentgit.toml [metric]: {named}"), line
    assert git(corpus_repo, "for-each-ref", "refs/heads/session/", "refs/agentgit/") == ""
