"""The orientation's terrain line within its bound: a session's start places at most a
few pieces, and a clone that has not placed main's pieces says so instead of waiting."""

from __future__ import annotations

from pathlib import Path

import pytest
from grounds import three_grounds

from agentgit.core.settings import Settings
from agentgit.corpus.history import LOG_CACHE
from agentgit.git import Repository
from agentgit.landscape import regions, terrain


def test_more_new_pieces_than_allowed_are_not_placed_and_are_counted(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    repo = Repository.discover(corpus_repo)
    with pytest.raises(regions.Unplaced) as raised:
        terrain.survey(repo, Settings(), most_new=2)
    assert raised.value.count == 9  # three grounds of three pieces, none placed yet
    assert not regions.cache_path(repo.state_dir).exists()  # nothing measured or kept
    # ... nor main's log walked (a fresh clone's first walk of every session), which
    # only placing the pieces needs: its cache is not there.
    assert not (repo.state_dir / LOG_CACHE).exists()
    line = terrain.unsurveyed_line(raised.value.count)
    assert line.startswith(terrain.LINE_START) and "9 pieces unplaced" in line
    assert len(line) <= terrain.ORIENT_CHARS


def test_once_placed_a_survey_within_the_bound_gives_the_same_terrain(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    repo = Repository.discover(corpus_repo)
    first = terrain.survey(repo, Settings())  # places all nine and keeps them
    again = terrain.survey(repo, Settings(), most_new=0)  # nothing new: within any bound
    assert again == first
