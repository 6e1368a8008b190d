"""What `agentgit init --metric` lays down (DESIGN §10): a commented `[metric]` table with
budgets sized for a night of runs, and a program for experiment sessions."""

from __future__ import annotations

# A fresh agentgit.toml: budgets for a night of runs, then the table.
NIGHT_TOML = """\
# agentgit settings. Every key has a default; flags and AGENTGIT_* variables override.
# Budgets for a night of runs: about 100 five-minute runs.
[session]
max_turns = 400
max_tokens = 20000000
max_cost = 20.0
max_minutes = 600
"""

# The table, also appended to an agentgit.toml that has none.
METRIC_TOML = """\

# An experiment repository (agentgit init --metric): sessions edit code, run it, and
# one number judges the keep (docs/experiments.md). Change these to your project.
[metric]
name = "val_bpb"                         # what the number is called
command = "uv run train.py"              # run by the shell in the session's worktree
pattern = '^val_bpb:\\s*([-+0-9.eE]+)'   # the first group of the last match is the value
direction = "lower"                      # lower | higher
editable = ["train.py"]                  # globs the agent may change; all else read-only
run_minutes = 5                          # hard bound on one run (SIGTERM, then SIGKILL)
baseline_runs = 3                        # runs of the base tree: median and noise (MAD)
min_gain = 0.0                           # a keep must beat the best by more than this
noise_factor = 2.0                       # ... and more than noise_factor x the MAD
max_runs = 100                           # runs per session, beside the budgets
"""

EXPERIMENT_PROGRAM = """\
# Standing instructions for experiment sessions

This repository runs experiments. One command measures one number (the metric named
in agentgit.toml), and that number, not your impression, decides what is kept. You
may change only the editable files; the evaluator, the settings and these
instructions are read-only, and a write to them is refused.

## The loop

1. **Read the orientation.** It shows the baseline, the noise and the gain a run
   must beat, main's best so far, and the recent runs with their hypotheses. Do not
   try again what already failed unless you can say what is different now.
2. **Read the code.** `read_file` the editable files and whatever they use. Know what
   the number measures before you try to move it.
3. **One hypothesis per run.** Make one change that tests one idea (`edit_file` or
   `write_file`), then `run_experiment` with that idea in a sentence. Two changes in
   one run teach you nothing about either.
4. **Read the result.** The answer gives the value, the status (keep, discard, crash,
   timeout), the best so far and the output's tail. After anything but a keep the
   code is already back on the best version: build on that.
5. **Note what it taught.** A line with `note` after each run or two: what you
   learned, not only what you did. Record an idea you have ruled out as a dropped
   `question`, with why, so later sessions do not spend a night on it again.
6. **Judge.** `crystallize` when the best beats the baseline by more than the gain;
   it is refused otherwise. `abandon` with the reason when nothing helped. When the
   budget runs out, the metric decides for you.

## Taste

- Never touch the evaluator or try to make the number lie. A result that comes from
  gaming the measurement is worth nothing, and it is refused anyway.
- At an equal metric, prefer the simpler code. Deleting something and keeping the
  number is a win.
- A crash is information: read the output, fix the cause or drop the idea.
- Keep runs short enough that the budget holds many of them.
"""
