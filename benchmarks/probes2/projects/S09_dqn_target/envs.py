"""Deterministic 1-D corridor: reach the right end; one-hot position observations."""
import numpy as np


class Corridor:
    def __init__(self, length=8, max_steps=20):
        self.length, self.max_steps = length, max_steps
        self.obs_dim, self.n_actions = length, 2

    def _obs(self):
        o = np.zeros(self.length, dtype=np.float32)
        o[self.pos] = 1.0
        return o

    def reset(self):
        self.pos, self.t = 0, 0
        return self._obs()

    def step(self, action):
        self.t += 1
        self.pos = int(np.clip(self.pos + (1 if action == 1 else -1), 0, self.length - 1))
        done = self.pos == self.length - 1 or self.t >= self.max_steps
        reward = 1.0 if self.pos == self.length - 1 else -0.01
        return self._obs(), reward, done
