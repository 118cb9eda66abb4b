import copy

import torch
import torch.nn.functional as F

from networks import Actor, TwinCritic


def polyak_update(online, target, tau):
    with torch.no_grad():
        for p, tp in zip(online.parameters(), target.parameters()):
            tp.data.mul_(1.0 - tau)
            tp.data.add_(tau * p.data)


class TD3Agent:
    def __init__(self, obs_dim, act_dim, gamma=0.99, tau=0.005, policy_noise=0.2, noise_clip=0.5, policy_delay=2):
        self.actor = Actor(obs_dim, act_dim)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic = TwinCritic(obs_dim, act_dim)
        self.critic_target = copy.deepcopy(self.critic)
        for p in list(self.actor_target.parameters()) + list(self.critic_target.parameters()):
            p.requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.gamma, self.tau = gamma, tau
        self.policy_noise, self.noise_clip, self.policy_delay = policy_noise, noise_clip, policy_delay
        self.it = 0

    def update(self, obs, act, rew, next_obs, done):
        self.it += 1
        with torch.no_grad():
            noise = (torch.randn_like(act) * self.policy_noise).clamp(-self.noise_clip, self.noise_clip)
            next_act = (self.actor_target(next_obs) + noise).clamp(-1.0, 1.0)
            tq1, tq2 = self.critic_target(next_obs, next_act)
            target_q = rew + self.gamma * (1.0 - done) * torch.min(tq1, tq2)
        q1, q2 = self.critic(obs, act)
        critic_loss = F.mse_loss(q1, target_q) + F.mse_loss(q2, target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        info = {"critic": critic_loss.item()}
        if self.it % self.policy_delay == 0:
            actor_loss = -self.critic.q1_only(obs, self.actor(obs)).mean()
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            polyak_update(self.critic, self.critic_target, self.tau)
            polyak_update(self.actor, self.actor_target, self.tau)
            info["actor"] = actor_loss.item()
        return info
