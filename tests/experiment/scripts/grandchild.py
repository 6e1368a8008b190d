"""Starts a grandchild that sleeps, writes its pid, and sleeps itself: past the bound
both must be gone. With `ignore`, the child ignores SIGTERM, so only SIGKILL ends it."""

import os
import signal
import subprocess
import sys
import time

pidfile = sys.argv[1]
if len(sys.argv) > 2 and sys.argv[2] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open(pidfile, "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}\n")
print("started", flush=True)
time.sleep(300)
