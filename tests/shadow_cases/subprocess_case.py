# Starts a long-running subprocess, then trains: the subprocess must be killed.
import subprocess
import sys

import torch

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print("CHILD_PID", child.pid, flush=True)
w = torch.randn(3, requires_grad=True)
loss = (w * 2).sum()
loss.backward()
