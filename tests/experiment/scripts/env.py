"""Prints the names of the environment's variables, one a line, then a value."""

import os

for name in sorted(os.environ):
    print(name)
print("loss: 1")
