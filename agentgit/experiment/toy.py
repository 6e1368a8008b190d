"""The toy problem `agentgit demo --metric` runs (DESIGN §10): a "model" with one number
to fit and an evaluator that scores it, small enough that a run takes milliseconds, so a
whole night of autoresearch shows in seconds."""

from __future__ import annotations

TRAIN = """\
# The model: one parameter. The experiment session may change this file only.
X = 3.0
"""

EVALUATE = """\
# The evaluator: read-only for the session (it is not in `editable`).
import sys

sys.path.insert(0, ".")
import train  # noqa: E402

print("training...")
print(f"loss: {(train.X - 7.0) ** 2:.6f}")
"""

# run_minutes is tiny so that the demo's timeout takes a second or two, not minutes.
TOML = """\
# A toy experiment: train.py has one number, evaluate.py scores it (lower is better).
[metric]
name = "loss"
command = '{python} evaluate.py'
pattern = '^loss: ([-+0-9.eE]+)'
direction = "lower"
editable = ["train.py"]
run_minutes = 0.02
baseline_runs = 1
"""
