"""A corpus whose ground is known, for the terrain's tests (issue 20's "Done when"):
three unrelated kinds of ground, pieces of varied text drawn from each kind's own
sentences, and sessions recorded on main as agentgit records them (a commit with the
summary trailers, a log entry whose frontmatter holds `ground` and `novelty`)."""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import git
from helpers import commit_files

from agentgit.corpus import formats
from agentgit.corpus.formats import LogEntry, NoveltyRecord

GROUNDS = {
    "tides": [
        "The moon pulls the ocean into a bulge that travels around the planet twice a day.",
        "Spring tides come when the sun and moon align, neap tides when they stand square.",
        "A harbour pilot reads the tide tables before bringing a deep keel over the bar.",
        "Estuaries trap the flood tide and release it slowly through channels of silt.",
        "Tidal range in the Bay of Fundy exceeds fifteen metres at the equinox.",
        "Mudflats exposed at low water feed wading birds on worms and molluscs.",
        "Coastal engineers model tidal currents to place breakwaters and moorings.",
        "The lunar day is fifty minutes longer than the solar one, so high water drifts later.",
        "Rip currents form where breaking waves pile seawater against a sandbar.",
    ],
    "bread": [
        "A sourdough starter is a culture of wild yeast and lactic bacteria fed on flour.",
        "Gluten forms when kneading stretches wheat proteins into an elastic web.",
        "Bakers proof the dough slowly overnight in the cold to deepen its flavour.",
        "Steam in the oven keeps the crust supple so the loaf can spring before it sets.",
        "Hydration, the ratio of water to flour, decides how open the crumb becomes.",
        "Rye flour holds little gluten, so rye loaves rely on acidity and pentosans.",
        "Scoring the loaf with a blade lets the crust open along a chosen seam.",
        "An autolyse rests flour and water before salt and leaven are mixed in.",
        "A banneton basket shapes the boule and marks its crust with floury rings.",
    ],
    "compilers": [
        "A parser turns a stream of tokens into an abstract syntax tree.",
        "Register allocation colours an interference graph with the machine's registers.",
        "Static single assignment form gives every variable exactly one definition.",
        "Constant folding evaluates arithmetic on literals while compiling the program.",
        "A linker resolves symbols across object files and patches their relocations.",
        "Inlining replaces a function call with the callee's body to expose optimisation.",
        "Lexers use finite automata to recognise identifiers, keywords and literals.",
        "Dead code elimination removes instructions whose results nothing reads.",
        "Type checking rejects programs whose expressions combine incompatible values.",
    ],
}


# Two kinds more, for the README's picture of five subjects (docs/make_map_png.py).
SUBJECTS = GROUNDS | {
    "archives": [
        "An archive keeps records so that a later reader can reconstruct a decision.",
        "Archivists keep the order in which records arrived, because order is evidence.",
        "A finding aid describes an archive's boxes so a reader knows where to look.",
        "Appraisal decides which records an archive keeps and which it lets go.",
        "Provenance records who created a document and who held it since.",
        "Digital archives decay unless their formats are migrated as software changes.",
        "A discarded draft in the archive shows which paths the author tried and left.",
        "Archives of correspondence let historians hear both sides of an argument.",
        "Redaction hides part of a record while the archive keeps the rest readable.",
        "An archive's catalogue is itself a record of what its keepers thought mattered.",
    ],
    "gardens": [
        "Compost feeds the soil's fungi and bacteria, which in turn feed the garden's plants.",
        "Rotating crops between beds breaks the cycles of pests that overwinter in the soil.",
        "Beans fix nitrogen in the soil through bacteria living in their root nodules.",
        "Mulch keeps soil moist and cool and smothers the seedlings of weeds.",
        "A garden pond draws frogs and dragonflies that eat slugs and aphids.",
        "Pruning fruit trees in winter shapes them while the sap is down.",
        "Seeds saved from open-pollinated plants grow true the following year in the garden.",
        "Raised beds warm earlier in spring and drain after heavy rain.",
        "Companion planting puts marigolds among tomatoes to confuse their pests.",
        "Bees visit the garden's flowers for nectar and carry pollen between plants.",
    ],
}


def sentences(kind: str, n: int) -> list[str]:
    """Five of `kind`'s sentences (any of SUBJECTS), a draw that differs with `n`."""
    return random.Random(f"{kind}-{n}").sample(SUBJECTS[kind], 5)


def piece_text(kind: str, n: int, title: str | None = None) -> str:
    """A piece of `kind`, its sentences a draw that differs from one `n` to the next."""
    drawn = sentences(kind, n)
    body = " ".join(drawn[:3]) + "\n\n" + " ".join(drawn[3:]) + "\n"
    meta = {
        "title": title or f"{kind.title()} {n}",
        "summary": drawn[0],
        "tags": [kind],
        "created": "2026-01-02",
        "updated": "2026-01-02",
        "sessions": [],
    }
    return formats.render_piece(meta, body)


@dataclass
class Walks:
    """A corpus repository at `path` and the sessions recorded on it so far."""

    path: Path
    sessions: int = 0
    heads: dict[int, str] = field(default_factory=dict)

    def add_pieces(self, pieces: dict[str, str], message: str = "Add pieces by hand") -> None:
        commit_files(self.path, {f"corpus/pieces/{s}.md": t for s, t in pieces.items()}, message)

    def session(
        self,
        read: list[str] | None,
        kept: dict[str, str] | None = None,
        nearest: dict[str, str] | None = None,
        overlap: set[str] = frozenset(),  # type: ignore[assignment]
        transcript: list[dict[str, object]] | None = None,
    ) -> int:
        """One session on main that read `read` (None: ground not recorded) and kept
        `kept` (slug -> text), with `nearest` as novelty measured it at the keep."""
        self.sessions += 1
        n = self.sessions
        kept = kept or {}
        outcome = "crystallized" if kept else "abandoned"
        when = f"2026-01-{2 + n:02d}T10:00:00Z"
        entry = LogEntry(
            session=n,
            title=f"Walk {n}",
            started=when,
            ended=when,
            outcome=outcome,
            pieces=list(kept),
            reason=None if kept else "nothing crystallized",
            model="scripted",
            turns=4,
            novelty=[
                NoveltyRecord(
                    slug,
                    0.6,
                    (nearest or {}).get(slug),
                    0.4,
                    "it says more" if slug in overlap else None,
                )
                for slug in kept
            ],
            body="## Journal\n\n(no notes)\n",
        )
        if read is not None:
            entry.ground = {"read": list(read), "wrote": list(kept)}
        files = {f"corpus/pieces/{s}.md": t for s, t in kept.items()}
        files[f"corpus/log/{n:04d}-walk-{n}.md"] = formats.render_log_entry(entry)
        head = f"{n:040x}"
        if transcript is not None:  # a note on its head, as a session leaves one
            made = subprocess.run(
                ["git", "hash-object", "-w", "--stdin"],
                cwd=self.path,
                input=f"the head of session {n}\n",
                capture_output=True,
                text=True,
                check=True,
            )
            head = made.stdout.strip()
            note = json.dumps({"version": 1, "messages": transcript})
            git(self.path, "notes", "--ref", "refs/notes/agentgit", "add", "-m", note, head)
        verb = "Crystallize" if kept else "Abandon"
        message = (
            f"{verb} session {n:04d}: walk {n}\n\nWalked.\n\n"
            f"Agentgit-Session: {n:04d}\nAgentgit-Outcome: {outcome}\n"
            f"Agentgit-Title: Walk {n}\nAgentgit-Pieces: {', '.join(kept)}\n"
            f"Agentgit-Turns: 4\nAgentgit-Cost: 0.010000\nAgentgit-Head: {head}\n"
        )
        commit_files(self.path, files, message)
        self.heads[n] = head
        return n

    def remove(self, slugs: list[str]) -> None:
        git(self.path, "rm", "-q", "--", *(f"corpus/pieces/{s}.md" for s in slugs))
        git(self.path, "commit", "-q", "--no-verify", "-m", "Remove pieces by hand")


def three_grounds(path: Path) -> Walks:
    """Three pieces of each kind, added by a person before any session."""
    walks = Walks(path)
    walks.add_pieces({f"{kind}-{n}": piece_text(kind, n) for kind in GROUNDS for n in (1, 2, 3)})
    return walks


def walked(path: Path) -> Walks:
    """The issue's walks: exploring, leaping, four sessions on one ground (surveying,
    then wandering, circling after dead_after), then a survey of ground left unread."""
    walks = three_grounds(path)
    walks.session(
        ["tides-1", "tides-2"], {"tides-4": piece_text("tides", 4)}, nearest={"tides-4": "tides-1"}
    )
    walks.session(
        ["tides-3"], {"compilers-4": piece_text("compilers", 4)}, {"compilers-4": "compilers-2"}
    )
    for _ in range(4):
        walks.session(["bread-1", "bread-2"])
    walks.session(["compilers-1", "compilers-3"])
    return walks


# The verdicts `walked`'s sessions deserve, whichever measure places their pieces.
WALKED_VERDICTS = {
    1: "exploring",
    2: "leaping",
    3: "surveying",
    4: "wandering",
    5: "wandering",
    6: "wandering",
    7: "surveying",
}


def places_hold_under_a_new_keep(path: Path, survey: Callable[[Path], Any]) -> Any:
    """After `walked`, a new keep beside bread-3: no earlier piece moves by more than a
    tenth of the map or changes region, and the new one joins bread-3's. Returns the
    survey after, for a measure's own checks."""
    walks = walked(path)
    before = survey(path)
    walks.session(["bread-3"], {"bread-4": piece_text("bread", 4)}, {"bread-4": "bread-3"})
    after = survey(path)
    places = {p.slug: p for p in after.pieces}
    for p in before.pieces:
        moved = math.dist((p.x, p.y), (places[p.slug].x, places[p.slug].y))
        assert moved <= 0.1 and places[p.slug].region == p.region
    assert places["bread-4"].region == places["bread-3"].region
    return after


def one_sentence(why: str) -> bool:
    """A reason in one sentence of words: some text, one line, no sentence ending in it."""
    return bool(why.strip()) and "\n" not in why and re.search(r"[.!?;]\s", why) is None
