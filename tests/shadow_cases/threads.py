# Starts a non-daemon thread that never ends, then trains: the run must still end.
import threading
import time

import torch

stop = False


def spin():
    while not stop:
        time.sleep(0.05)


threading.Thread(target=spin).start()
w = torch.randn(3, requires_grad=True)
loss = (w * 2).sum()
loss.backward()
