"""Settings are checked (DESIGN §9): an unknown key or AGENTGIT_* variable is a usage
error naming the closest known one, and numbers are finite and in range by one rule,
whether they come from a flag, the environment or agentgit.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agentgit, git
from scripts import keep_script, write_script

from agentgit.core.errors import UsageError
from agentgit.core.settings import Settings, load


def toml(tmp_path: Path, text: str) -> Path:
    (tmp_path / "agentgit.toml").write_text(text)
    return tmp_path


def usage_error(
    tmp_path: Path,
    text: str = "",
    env: dict[str, str] | None = None,
    flags: dict[str, object] | None = None,
) -> str:
    with pytest.raises(UsageError) as caught:
        load(toml(tmp_path, text), flags, env or {})
    return caught.value.message


# -- unknown names ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["max_turnz = 5\n", "[session]\nmax_turnz = 5\n"])
def test_an_unknown_key_names_the_closest_setting(tmp_path: Path, text: str) -> None:
    message = usage_error(tmp_path, text)
    assert "max_turnz is not a setting" in message
    assert "did you mean max_turns?" in message


def test_an_unknown_table_is_an_unknown_key(tmp_path: Path) -> None:
    message = usage_error(tmp_path, "[sesion]\nmax_turns = 5\n")
    assert "sesion is not a setting (did you mean session?)" in message


def test_a_nested_table_inside_session_is_unknown(tmp_path: Path) -> None:
    assert "budget is not a setting" in usage_error(tmp_path, "[session.budget]\nx = 1\n")


def test_session_table_flat_keys_dashes_and_pricing_are_accepted(tmp_path: Path) -> None:
    settings = load(
        toml(
            tmp_path,
            'max-turns = 7\n[session]\nreview = "branch"\n'
            '[pricing."local"]\ninput = 0\noutput = 0\n',
        ),
        env={},
    )
    assert (settings.max_turns, settings.review) == (7, "branch")
    assert settings.pricing == {"local": {"input": 0, "output": 0}}


def test_an_unknown_variable_names_the_closest_setting(tmp_path: Path) -> None:
    message = usage_error(tmp_path, env={"AGENTGIT_MAX_TURNZ": "5"})
    assert message == (
        "the environment variable AGENTGIT_MAX_TURNZ is not a setting "
        "(did you mean AGENTGIT_MAX_TURNS?)"
    )


def test_variables_that_are_not_settings_but_are_read_elsewhere_pass(tmp_path: Path) -> None:
    env = {
        "AGENTGIT_DEBUG": "1",
        "AGENTGIT_TEST_KILL_AT": "step:2",
        "AGENTGIT_MAX_TURNS": "3",
        "AGENTGIT_UNSET": "",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
        "PATH": "/bin",
    }
    assert load(toml(tmp_path, ""), env=env).max_turns == 3


# -- numbers: finite, in range, one rule for every source --------------------------------


def sources(name: str, value: str) -> list[tuple[str, dict[str, object]]]:
    """The same value as each source would give it: file, environment, flag."""
    return [
        ("agentgit.toml", {"text": f"{name} = {value}\n"}),
        (f"AGENTGIT_{name.upper()}", {"env": {f"AGENTGIT_{name.upper()}": value}}),
        (f"--{name.replace('_', '-')}", {"flags": {name: value}}),
    ]


BAD = [
    ("max_turns", "0", "must be at least 1"),
    ("max_turns", "2.5", "must be a whole number"),
    ("max_tokens", "0", "must be at least 1"),
    ("max_cost", "nan", "must be a finite number"),
    ("max_cost", "inf", "must be a finite number"),
    ("max_cost", "0", "must be more than 0"),
    ("max_cost", "-1", "must be more than 0"),
    ("max_minutes", "0", "must be more than 0"),
    ("max_minutes", "-inf", "must be a finite number"),
    ("max_nudges", "-1", "must be at least 0"),
    ("turn_max_tokens", "-1", "must be at least 0"),
    ("timeout", "0", "must be more than 0"),
    ("dead_after", "0", "must be at least 1"),
    ("dead_after", "1.5", "must be a whole number"),
    ("novelty_min", "1.5", "must be at most 1"),
    ("novelty_min", "-0.1", "must be at least 0"),
    ("novelty_min", "nan", "must be a finite number"),
]


@pytest.mark.parametrize(("name", "value", "why"), BAD)
def test_a_bad_number_is_refused_by_every_source(
    tmp_path: Path, name: str, value: str, why: str
) -> None:
    for source, given in sources(name, value):
        text = str(given.get("text", ""))
        message = usage_error(tmp_path, text, given.get("env"), given.get("flags"))  # type: ignore[arg-type]
        assert message.startswith(f"{source}: {name} {why}"), (source, message)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("max_turns = true\n", "must be a whole number"),
        ('max_turns = "many"\n', "must be a whole number"),
        ('push = "sometimes"\n', "must be true or false"),
        ("model = 5\n", "must be text"),
        ('review = "squash"\n', "must be one of merge, pr, branch"),
        ('effort = "huge"\n', "must be one of low, medium, high, xhigh, max"),
        ("pricing = 3\n", "must be a table"),
        ('novelty_min = "some"\n', "must be auto or a number"),
        ("novelty_min = true\n", "must be auto or a number"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(tmp_path: Path, text: str, why: str) -> None:
    assert why in usage_error(tmp_path, text)


def test_good_values_from_each_source(tmp_path: Path) -> None:
    settings = load(
        toml(tmp_path, "max_turns = 10.0\nmax_cost = 2\npush = false\n"),
        {"max_minutes": "0.5"},
        {"AGENTGIT_MAX_TOKENS": "1_000", "AGENTGIT_PUSH": "no"},
    )
    assert (settings.max_turns, settings.max_cost, settings.max_minutes) == (10, 2.0, 0.5)
    assert settings.max_tokens == 1000 and settings.push is False
    assert isinstance(settings.max_turns, int) and isinstance(settings.max_cost, float)
    assert Settings().max_turns == 30


# -- through the command line -------------------------------------------------------------


def test_the_cli_refuses_an_unknown_key_in_agentgit_toml(corpus_repo: Path) -> None:
    (corpus_repo / "agentgit.toml").write_text("[session]\nmax_turnz = 5\n")
    proc = agentgit(corpus_repo, "session", "--model", "scripted:/nonexistent")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "agentgit: agentgit.toml [session]: max_turnz is not a setting (did you mean max_turns?)"
    ]
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")


@pytest.mark.parametrize(
    ("args", "env", "why"),
    [
        (["--max-cost", "nan"], {}, "Invalid value for '--max-cost': must be a finite number"),
        (["--max-turns", "0"], {}, "Invalid value for '--max-turns': must be at least 1"),
        ([], {"AGENTGIT_MAX_TURNS": "0"}, "AGENTGIT_MAX_TURNS: max_turns must be at least 1"),
        ([], {"AGENTGIT_MAX_COTS": "1"}, "did you mean AGENTGIT_MAX_COST?"),
    ],
)
def test_the_cli_refuses_bad_values_with_exit_2(
    corpus_repo: Path, args: list[str], env: dict[str, str], why: str
) -> None:
    proc = agentgit(corpus_repo, "session", "--model", "scripted:/nonexistent", *args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert why in proc.stderr and "Traceback" not in proc.stderr
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")


# -- issue 17: pricing, a byte-order mark, a key given twice ------------------------------


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("output = nan\ninput = 1", '."scripted".output must be a finite number'),
        ('input = "free"\noutput = 1', '."scripted".input must be a number'),
        ("input = -1\noutput = 1", '."scripted".input must be at least 0'),
        ("input = inf\noutput = 1", '."scripted".input must be a finite number'),
    ],
)
def test_a_price_that_is_not_a_finite_non_negative_number_is_refused(
    corpus_repo: Path, table: str, named: str
) -> None:
    with (corpus_repo / "agentgit.toml").open("a") as f:
        f.write(f'\n[pricing."scripted"]\n{table}\n')
    script = write_script(corpus_repo.parent / "keep.jsonl", keep_script())
    for command in (["session", "--model", f"scripted:{script}"], ["questions"], ["map"]):
        proc = agentgit(corpus_repo, *command)
        assert proc.returncode == 2, proc.stderr
        assert f"pricing {named}" in proc.stderr
    # refused before any id was claimed: no branch, no worktree, no archive
    assert git(corpus_repo, "for-each-ref", "refs/heads/session", "refs/agentgit") == ""


def test_a_byte_order_mark_in_agentgit_toml_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "agentgit.toml").write_bytes("\ufeffmax_turns = 9\n".encode())
    assert load(tmp_path, env={}).max_turns == 9


@pytest.mark.parametrize(
    "text",
    ["max_turns = 5\n[session]\nmax_turns = 6\n", "max_turns = 5\n[session]\nmax-turns = 6\n"],
)
def test_a_key_at_the_top_level_and_in_session_is_named(tmp_path: Path, text: str) -> None:
    assert usage_error(tmp_path, text) == (
        "agentgit.toml: max_turns is set at the top level and in [session]"
    )


# -- review_trust (DESIGN §11) -------------------------------------------------------------


def test_review_trust_defaults_to_the_repositorys_own_people(tmp_path: Path) -> None:
    assert load(toml(tmp_path, "")).review_trust == ["OWNER", "MEMBER", "COLLABORATOR"]


def test_review_trust_from_each_source(tmp_path: Path) -> None:
    assert load(toml(tmp_path, 'review_trust = ["owner", "MEMBER"]\n')).review_trust == [
        "OWNER",
        "MEMBER",
    ]
    env = {"AGENTGIT_REVIEW_TRUST": "OWNER, CONTRIBUTOR"}
    assert load(toml(tmp_path, ""), env=env).review_trust == ["OWNER", "CONTRIBUTOR"]
    assert load(toml(tmp_path, "review_trust = []\n")).review_trust == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('review_trust = ["OWNER", "EVERYONE"]\n', "not 'EVERYONE'"),
        ('review_trust = "ADMIN"\n', "not 'ADMIN'"),
        ("review_trust = [1]\n", "must be a list of OWNER"),
        ("review_trust = 3\n", "must be a list of OWNER"),
    ],
)
def test_an_unknown_review_trust_value_is_refused_naming_the_key(
    tmp_path: Path, text: str, why: str
) -> None:
    message = usage_error(tmp_path, text)
    assert message.startswith("agentgit.toml: review_trust must") and why in message


def test_sync_exits_2_on_an_unknown_review_trust(corpus_repo: Path) -> None:
    proc = agentgit(corpus_repo, "sync", env={"AGENTGIT_REVIEW_TRUST": "OWNER,ANYONE"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("agentgit: AGENTGIT_REVIEW_TRUST: review_trust must")
