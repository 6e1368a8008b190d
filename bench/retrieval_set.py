"""A retrieval set whose answers are known, for bench/search_bench.py.

36 pieces in plain English, three to a subject (so each has near neighbours to be
confused with), and for each piece one paraphrase: its claim restated in other words, as
a later session might search for what it half remembers. The piece restated is the
one relevant answer. The paraphrases were written to say the same thing, not to avoid
every word of the piece: some share a word or two with it, as restatements do.

The keyword queries are derived, not written: each piece's three rarest words (fewest
pieces of the set hold them, ties alphabetical), the search of someone who remembers
the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentgit.corpus.search import STOPWORDS


@dataclass(frozen=True)
class Piece:
    slug: str
    title: str
    summary: str
    body: tuple[str, ...]
    paraphrase: str  # the claim restated: the query whose answer is this piece


PIECES = (
    # -- memory ------------------------------------------------------------------------
    Piece(
        "forgetting-keeps-memory-useful",
        "Forgetting keeps a memory useful",
        "An archive that keeps everything cannot be searched by the one who keeps it.",
        (
            "An archive that keeps everything becomes impossible to search. Forgetting is "
            "not the failure of memory but the work that keeps it usable.",
            "Borges wrote of Funes, who remembered every leaf of every tree and could not "
            "think, because thinking is leaving out differences.",
            "A corpus that never prunes grows noisier with each addition, and the signal a "
            "reader came for is buried under what was merely kept.",
        ),
        "why discarding old material makes recall easier than hoarding it all",
    ),
    Piece(
        "spaced-repetition",
        "Spaced repetition",
        "Reviews at growing intervals fix facts in long-term memory.",
        (
            "Reviewing a fact at growing intervals, just before it would be lost, fixes it "
            "in long-term memory far better than cramming.",
            "Ebbinghaus measured his own forgetting curve with nonsense syllables and found "
            "that each review flattened the curve.",
            "Flashcard programs schedule each card by how well it was answered last time.",
        ),
        "going over material again after longer and longer gaps makes it stick",
    ),
    Piece(
        "memory-reconstructs",
        "Each recollection rebuilds the event",
        "Remembering is reconstruction, and it alters what is remembered.",
        (
            "Each recollection rebuilds the event from fragments and alters it; a memory "
            "is only as old as the last time it was recalled.",
            "Loftus showed that a leading question about a car crash changed what witnesses "
            "later reported seeing, broken glass included.",
            "Vivid confidence is no proof of accuracy.",
        ),
        "recalling an episode rewrites it a little every time",
    ),
    # -- version control ---------------------------------------------------------------
    Piece(
        "commits-as-reasons",
        "A commit message says why",
        "The diff already says what changed; the message should say why.",
        (
            "A commit message should say why the change was made, because the diff "
            "already shows what changed.",
            "Years later the reason is the only thing that cannot be recovered from the "
            "code, and blame leads straight to it.",
            "Subjects like fix stuff or update file waste the one place meant for intent.",
        ),
        "the description attached to a change ought to explain the motive, since the "
        "code shows the edit itself",
    ),
    Piece(
        "branches-cheap-experiments",
        "Branches make experiments cheap",
        "Cheap branches let an idea be tried without risking the main line.",
        (
            "Because branches are cheap, an idea can be tried without risking the main "
            "line; a failed attempt is simply never merged.",
            "Older systems made branching an administrative event, so people experimented less.",
            "Throwaway branches are notes written in code.",
        ),
        "forking the work costs little, so a risky attempt can be made apart from the trunk",
    ),
    Piece(
        "merge-conflicts-signal",
        "A merge conflict is a signal",
        "A conflict marks two people changing one thing for different purposes.",
        (
            "A merge conflict marks two people changing the same lines for different "
            "purposes; resolving it is a conversation, not a chore.",
            "Tools can pick one side mechanically, but only the authors know which "
            "intention should survive.",
            "Frequent small merges keep such conversations short.",
        ),
        "when two edits collide it shows that two authors wanted different outcomes "
        "from one passage",
    ),
    # -- research method ---------------------------------------------------------------
    Piece(
        "negative-results",
        "Publish the negative results",
        "Recorded failures save others from repeating them.",
        (
            "Failed experiments that are recorded save others from repeating them; the "
            "file drawer costs science years.",
            "Journals prefer striking positive findings, which skews the literature "
            "toward effects that later shrink.",
            "A lab notebook that lists what did not work is worth more than a polished "
            "paper that hides it.",
        ),
        "writing down what did not work spares colleagues the same dead ends",
    ),
    Piece(
        "hypotheses-before-data",
        "State the hypothesis before the data",
        "A prediction made in advance guards against fooling yourself.",
        (
            "Stating the prediction before looking at the data guards against fooling "
            "yourself with patterns found after the fact.",
            "Preregistration turns a hunch into a test: the analysis is fixed while the "
            "outcome is still unknown.",
            "Exploration is still allowed; it is only labelled as exploration.",
        ),
        "committing to an expected outcome in advance protects against self-deception "
        "once the numbers arrive",
    ),
    Piece(
        "replication",
        "A finding counts once it is replicated",
        "Only reproduction by another lab makes a result trustworthy.",
        (
            "A finding counts only once another laboratory reproduces it with its own "
            "samples and its own hands.",
            "Many celebrated effects in psychology faded when large teams repeated the "
            "original studies.",
            "Sharing materials and code makes the repetition possible at all.",
        ),
        "a result earns trust when an independent group obtains it again",
    ),
    # -- cooking -----------------------------------------------------------------------
    Piece(
        "salt-early",
        "Salt meat early",
        "Salting hours ahead seasons meat throughout and keeps it juicy.",
        (
            "Salting meat hours before cooking lets the salt travel inward, so it is "
            "seasoned throughout and stays juicy.",
            "At first the salt draws out liquid, then the brine is absorbed again and "
            "loosens the proteins.",
            "Salting just before the pan only flavours the surface.",
        ),
        "seasoning a roast well ahead of time makes it tastier inside and less dry",
    ),
    Piece(
        "resting-dough",
        "Let the dough rest",
        "Resting relaxes gluten, so the dough rolls out without shrinking.",
        (
            "Letting dough rest relaxes the gluten, so it rolls out without shrinking back.",
            "Kneading builds elastic strands; time lets them slacken while the flour "
            "finishes absorbing water.",
            "Cold dough is easier to handle but needs longer.",
        ),
        "leaving pastry alone for a while stops it springing back when flattened",
    ),
    Piece(
        "maillard",
        "Browning needs a dry, hot pan",
        "The Maillard reaction needs high heat, which a wet pan prevents.",
        (
            "Browning comes from sugars and amino acids reacting above about 140 degrees, "
            "which a wet pan never reaches while water boils off.",
            "Crowding the pan releases steam, and the meat greys instead of searing.",
            "Pat food dry and cook in batches.",
        ),
        "food won't get a brown crust if the skillet is full of liquid, because that "
        "chemistry needs high temperatures",
    ),
    # -- gardens -----------------------------------------------------------------------
    Piece(
        "compost",
        "Compost feeds the soil",
        "Compost feeds soil organisms, which in turn feed plants.",
        (
            "Compost feeds the organisms of the soil, and they in turn feed the plants; "
            "the gardener tends a food web, not a root.",
            "Worms, fungi and bacteria break kitchen waste into humus that holds water.",
            "Turning the heap keeps it aerobic and sweet smelling.",
        ),
        "decomposed scraps nourish the life underground that then nourishes crops",
    ),
    Piece(
        "crop-rotation",
        "Rotate the crops",
        "Rotation breaks pest cycles and balances what the soil gives.",
        (
            "Rotating crops breaks the cycles of pests and diseases and balances the "
            "nutrients each crop takes.",
            "Beans fix nitrogen that the following cabbages use.",
            "A four-bed plan is the classic scheme.",
        ),
        "changing what grows in a bed each year starves insects that specialise and "
        "keeps the earth from being depleted",
    ),
    Piece(
        "pollinators-decline",
        "Fewer bees, smaller harvests",
        "The decline of pollinators lowers fruit yields.",
        (
            "Fewer bees means lower fruit yields: apples, almonds and blueberries depend "
            "on pollination.",
            "Pesticides, parasites and lost meadows all weaken colonies.",
            "Wild flowers at field edges support wild species.",
        ),
        "as insects that carry pollen disappear, orchards harvest less",
    ),
    # -- economics ---------------------------------------------------------------------
    Piece(
        "sunk-cost",
        "The sunk cost fallacy",
        "Money already spent should not decide whether to continue.",
        (
            "Money already spent should not decide whether to continue; only the costs "
            "and benefits still ahead matter.",
            "People finish bad films and failing projects because they have paid for them.",
            "Naming the fallacy makes it easier to walk away.",
        ),
        "what you have paid so far is gone and shouldn't sway the choice to keep going",
    ),
    Piece(
        "inflation-savings",
        "Inflation eats savings",
        "Rising prices quietly shrink the value of cash.",
        (
            "Rising prices quietly shrink the value of cash savings; three percent a "
            "year halves them in a generation.",
            "Interest that trails inflation is a loss dressed as a gain.",
            "Real returns subtract the price level.",
        ),
        "money kept in a drawer buys less every year as the cost of living climbs",
    ),
    Piece(
        "comparative-advantage",
        "Comparative advantage",
        "Trade benefits both sides even when one is better at everything.",
        (
            "Trade benefits both sides even when one of them is better at making "
            "everything; each specialises where its relative cost is lowest.",
            "Ricardo's example was English cloth and Portuguese wine.",
            "The gains depend on what each gives up, not on absolute skill.",
        ),
        "two countries gain by exchanging goods even if one produces all of them more efficiently",
    ),
    # -- software ----------------------------------------------------------------------
    Piece(
        "tests-as-spec",
        "Tests are a specification",
        "A test suite documents what the code is supposed to do.",
        (
            "A test suite documents what the code is supposed to do, and unlike a "
            "comment it fails when it stops being true.",
            "New contributors read the tests to learn the edge cases.",
            "A test named for a behaviour reads as a sentence.",
        ),
        "automated checks describe the intended behaviour of a program better than remarks "
        "in the source",
    ),
    Piece(
        "premature-optimization",
        "Measure before optimising",
        "Speeding up code before measuring wastes effort on parts that do not matter.",
        (
            "Speeding code up before measuring wastes effort on parts that do not matter; "
            "the slow part is rarely where one guesses.",
            "A profiler shows where the time goes.",
            "Optimise the hot loop, then measure again.",
        ),
        "tuning performance without profiling first spends time where it brings nothing",
    ),
    Piece(
        "small-functions",
        "Small functions",
        "Short functions with one job are easier to read and change.",
        (
            "Short functions with one job are easier to read and to change, because "
            "each can be understood without holding the rest in mind.",
            "A good name replaces a comment.",
            "Too many tiny ones scatter the logic, so the rule has limits.",
        ),
        "routines that do a single thing are simpler to understand and to modify",
    ),
    # -- health ------------------------------------------------------------------------
    Piece(
        "sleep-consolidates",
        "Sleep consolidates learning",
        "Sleep after learning strengthens what was learned.",
        (
            "Sleep after learning strengthens what was learned; the brain replays the "
            "day's patterns during deep sleep.",
            "Students who sleep between study and test remember more than those who stay "
            "awake the same hours.",
            "All-nighters trade tomorrow's recall for tonight's hours.",
        ),
        "a night's rest following study helps the lessons settle",
    ),
    Piece(
        "exercise-mood",
        "Exercise lifts mood",
        "Regular physical activity helps mood as much as some medication.",
        (
            "Regular physical activity lifts mood about as much as some medication does "
            "for mild depression.",
            "Even brisk walking three times a week shows an effect in trials.",
            "The hard part is starting, not the dose.",
        ),
        "working out often improves spirits about as well as certain antidepressants",
    ),
    Piece(
        "caffeine-half-life",
        "Caffeine lingers",
        "Afternoon coffee still disturbs sleep at night.",
        (
            "Coffee in the afternoon still disturbs sleep at night, because caffeine "
            "lingers in the blood for five hours or more.",
            "Half of a four o'clock cup is still there at nine.",
            "Tolerance hides the effect from the drinker, not from the sleep.",
        ),
        "a late espresso keeps you awake because the stimulant stays in the body long after",
    ),
    # -- writing -----------------------------------------------------------------------
    Piece(
        "cut-first-paragraph",
        "Cut the first paragraph",
        "Most drafts improve when the opening paragraph is deleted.",
        (
            "Most drafts improve when the opening paragraph is deleted; it is the writer "
            "warming up.",
            "The real beginning is usually the second paragraph, where the point first appears.",
            "Editors call it throat clearing.",
        ),
        "removing the introduction usually makes a text better",
    ),
    Piece(
        "concrete-examples",
        "Give an example",
        "An example persuades more than an abstract statement.",
        (
            "An example persuades more than an abstract statement; readers believe what "
            "they can picture.",
            "A single named case sticks where statistics slide off.",
            "Follow the principle with the case, or lead with it.",
        ),
        "a specific case convinces readers where a general principle leaves them cold",
    ),
    Piece(
        "read-aloud",
        "Read the draft aloud",
        "Reading aloud reveals clumsy sentences.",
        (
            "Reading a draft aloud reveals clumsy sentences that the eye skims over.",
            "Where you stumble or run out of breath, the reader will too.",
            "Print it, or let a speech program read it back.",
        ),
        "speaking your prose out loud exposes awkward phrasing",
    ),
    # -- physics -----------------------------------------------------------------------
    Piece(
        "light-delay",
        "Starlight is old",
        "The light we see left the star long ago, so we see the past.",
        (
            "The starlight we see left the star long ago, so looking up is looking into the past.",
            "Some of those stars may no longer exist.",
            "Even sunlight is eight minutes old.",
        ),
        "looking at distant suns shows them as they were ages back, since their glow took "
        "that long to arrive",
    ),
    Piece(
        "tides-moon",
        "The moon makes the tides",
        "Tides come mainly from the moon's gravity pulling on the oceans.",
        (
            "Tides come mainly from the moon's gravity pulling on the oceans, with a "
            "smaller share from the sun.",
            "Spring tides come when sun and moon line up.",
            "Two bulges travel around the planet each day.",
        ),
        "the sea rises and falls chiefly because of our satellite's attraction",
    ),
    Piece(
        "entropy",
        "Entropy rises",
        "Disorder in a closed system tends to increase.",
        (
            "Disorder in a closed system tends to increase; a broken cup does not "
            "reassemble itself.",
            "Living things keep order locally by exporting disorder to their surroundings.",
            "This is the second law of thermodynamics.",
        ),
        "left to itself an isolated system drifts toward greater messiness",
    ),
    # -- learning ----------------------------------------------------------------------
    Piece(
        "testing-effect",
        "The testing effect",
        "Retrieving answers teaches more than rereading notes.",
        (
            "Retrieving answers from memory teaches more than rereading notes, even when "
            "the rereading feels more productive.",
            "Practice quizzes with feedback are one of the best studied techniques.",
            "Highlighting mostly feels like work.",
        ),
        "quizzing yourself beats going over the textbook again",
    ),
    Piece(
        "teach-to-learn",
        "Teach it to learn it",
        "Explaining a topic to someone else reveals the gaps in understanding.",
        (
            "Explaining a topic to someone else reveals the gaps in your own understanding.",
            "The places where you wave your hands are the places you do not know.",
            "Feynman asked whether he could explain it to a first-year student.",
        ),
        "trying to instruct another person shows where your own grasp is weak",
    ),
    Piece(
        "desirable-difficulty",
        "Desirable difficulties",
        "Practice that feels hard produces longer-lasting skill.",
        (
            "Practice that feels hard produces longer-lasting skill than easy practice; "
            "mixing problem types is slower and better.",
            "Performance during training misleads: the fluent learner forgets sooner.",
            "Bjork named these desirable difficulties.",
        ),
        "training that is a struggle yields abilities that endure, unlike comfortable drills",
    ),
    # -- cities ------------------------------------------------------------------------
    Piece(
        "induced-demand",
        "Induced demand",
        "Adding lanes brings more traffic, not less congestion.",
        (
            "Adding lanes to a highway brings more traffic, not less congestion, within a "
            "few years.",
            "Trips that were not worth making become worth making, until they are not.",
            "Pricing the road is the remedy economists suggest.",
        ),
        "widening motorways attracts extra drivers, so jams return",
    ),
    Piece(
        "walkable-shops",
        "Walkable streets keep shops alive",
        "Streets where people walk support more small shops.",
        (
            "Streets where people walk support more small shops, because passers-by stop "
            "on impulse.",
            "A parking lot in front of a store is a moat.",
            "Merchants overestimate how many of their customers drive.",
        ),
        "pedestrian friendly neighbourhoods sustain more independent retailers",
    ),
    Piece(
        "bike-lanes-safety",
        "Protected bike lanes",
        "Separated cycle paths reduce injuries for everyone.",
        (
            "Separated cycle paths reduce injuries for everyone on the street, drivers "
            "and pedestrians included.",
            "Paint is not protection; a kerb is.",
            "More riders make each rider safer.",
        ),
        "protected bike tracks make roads safer for all users",
    ),
)

# The words search drops from a query, and a few more that name no subject.
_STOP = STOPWORDS | {"not", "no", "only", "each", "one", "more", "most", "less"}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def keyword_queries() -> list[tuple[str, str]]:
    """(query, slug): each piece's three rarest words of the set, rarest first."""
    texts = {p.slug: " ".join([p.title, p.summary, *p.body]) for p in PIECES}
    held: dict[str, int] = {}
    for text in texts.values():
        for word in set(words(text)):
            held[word] = held.get(word, 0) + 1
    queries = []
    for piece in PIECES:
        own = sorted({w for w in words(texts[piece.slug]) if w not in _STOP and len(w) > 3})
        rare = sorted(own, key=lambda w: (held[w], w))[:3]
        queries.append((" ".join(rare), piece.slug))
    return queries


def paraphrase_queries() -> list[tuple[str, str]]:
    return [(p.paraphrase, p.slug) for p in PIECES]


def shared_words(piece: Piece) -> set[str]:
    """The words (stopwords aside) a paraphrase shares with its piece."""
    text = set(words(" ".join([piece.title, piece.summary, *piece.body])))
    return {w for w in words(piece.paraphrase) if w in text and w not in _STOP}
