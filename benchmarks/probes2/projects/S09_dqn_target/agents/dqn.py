"""Double DQN with a periodically synchronised target network."""
import copy

import numpy as np
import torch
import torch.nn.functional as F


class DQNAgent:
    def __init__(self, q_net, n_actions, gamma=0.95, lr=1e-3, target_sync=10, seed=0):
        self.q_net = q_net
        self.target_net = copy.deepcopy(q_net).eval()
        for p in self.target_net.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=lr)
        self.n_actions, self.gamma, self.target_sync = n_actions, gamma, target_sync
        self.rng = np.random.default_rng(seed)
        self.updates = 0

    @torch.no_grad()
    def act(self, obs, epsilon):
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.n_actions))
        q = self.q_net(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))
        return q.argmax(dim=1).item()

    def td_target(self, reward, next_obs, done):
        with torch.no_grad():
            next_actions = self.q_net(next_obs).argmax(dim=1, keepdim=True)
            next_q = self.target_net(next_obs).gather(1, next_actions).squeeze(1)
            return reward + self.gamma * (1.0 - done) * next_q

    def update(self, batch):
        obs, action, reward, next_obs, done = batch
        q = self.q_net(obs).gather(1, action.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, self.td_target(reward, next_obs, done))
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.q_net.parameters(), 10.0)
        self.optimizer.step()
        self.updates += 1
        if self.updates % self.target_sync == 0:
            self.target_net.load_state_dict(self.q_net.state_dict())
        return float(loss.detach().cpu().numpy())
