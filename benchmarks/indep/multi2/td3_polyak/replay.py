import torch


class ReplayBuffer:
    def __init__(self, obs_dim, act_dim, size=1000):
        self.obs = torch.zeros(size, obs_dim)
        self.act = torch.zeros(size, act_dim)
        self.rew = torch.zeros(size, 1)
        self.next_obs = torch.zeros(size, obs_dim)
        self.done = torch.zeros(size, 1)
        self.n, self.size = 0, size

    def add(self, o, a, r, o2, d):
        i = self.n % self.size
        self.obs[i], self.act[i], self.rew[i], self.next_obs[i], self.done[i] = o, a, r, o2, d
        self.n += 1

    def sample(self, batch):
        idx = torch.randint(0, min(self.n, self.size), (batch,))
        return self.obs[idx], self.act[idx], self.rew[idx], self.next_obs[idx], self.done[idx]
