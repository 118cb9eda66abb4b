import copy

import torch
import torch.nn.functional as F


class DoubleDQNTrainer:
    def __init__(self, q_net, lr=5e-4, gamma=0.99, tau=0.01, max_grad_norm=10.0):
        self.q_net = q_net
        self.target_net = copy.deepcopy(q_net).eval()
        self.target_net.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=lr)
        self.gamma = gamma
        self.tau = tau
        self.max_grad_norm = max_grad_norm
        self.stats = {"loss": [], "q": []}

    def td_target(self, rewards, next_obs, dones):
        # double DQN: online net picks the action, target net evaluates it
        next_actions = self.q_net(next_obs).argmax(dim=1, keepdim=True)
        next_q = self.target_net(next_obs).gather(1, next_actions).squeeze(1)
        return (rewards + self.gamma * (1 - dones) * next_q).detach()

    def train_step(self, obs, actions, rewards, next_obs, dones):
        q = self.q_net(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        target = self.td_target(rewards, next_obs, dones)
        loss = F.mse_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.q_net.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.soft_update()
        self.stats["loss"].append(loss.item())
        self.stats["q"].append(q.mean().item())
        return loss.item()

    @torch.no_grad()
    def soft_update(self):
        for t, s in zip(self.target_net.parameters(), self.q_net.parameters()):
            t.lerp_(s, self.tau)
