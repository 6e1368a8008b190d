"""Prints a value and exits at once, leaving a grandchild that holds the output open."""

import os
import subprocess
import sys

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open(sys.argv[1], "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}\n")
print("loss: 1.5", flush=True)
