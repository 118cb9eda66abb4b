"""PPO on a toy continuous-control batch: separate actor and critic networks,
one Adam optimizer over both, clipped surrogate + value loss."""
import torch
import torch.nn as nn
from dataclasses import dataclass
from torch.distributions import Normal

torch.manual_seed(0)


@dataclass
class PPOConfig:
    obs_dim: int = 8
    act_dim: int = 2
    hidden: int = 64
    gamma: float = 0.99
    lam: float = 0.95
    clip: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.01
    lr: float = 3e-4
    epochs: int = 4
    horizon: int = 32


class Actor(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.mu = nn.Sequential(nn.Linear(cfg.obs_dim, cfg.hidden), nn.Tanh(),
                                nn.Linear(cfg.hidden, cfg.act_dim))
        self.log_std = nn.Parameter(torch.zeros(cfg.act_dim))

    def dist(self, obs):
        return Normal(self.mu(obs), self.log_std.exp())


class Critic(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.v = nn.Sequential(nn.Linear(cfg.obs_dim, cfg.hidden), nn.Tanh(),
                               nn.Linear(cfg.hidden, 1))

    def forward(self, obs):
        return self.v(obs).squeeze(-1)


def compute_gae(rewards, values, last_value, cfg):
    adv = torch.zeros_like(rewards)
    gae = 0.0
    next_v = last_value
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + cfg.gamma * next_v - values[t]
        gae = delta + cfg.gamma * cfg.lam * gae
        adv[t] = gae
        next_v = values[t]
    return adv, adv + values


cfg = PPOConfig()
actor, critic = Actor(cfg), Critic(cfg)
optimizer = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()), lr=cfg.lr)

# fake rollout
obs = torch.randn(cfg.horizon, cfg.obs_dim)
with torch.no_grad():
    old_dist = actor.dist(obs)
    actions = old_dist.sample()
    old_logp = old_dist.log_prob(actions).sum(-1)
rewards = torch.randn(cfg.horizon)
last_value = torch.tensor(0.0)

history = []
for epoch in range(cfg.epochs):
    values = critic(obs).detach()
    advantages, returns = compute_gae(rewards, values, last_value, cfg)
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

    dist = actor.dist(obs)
    logp = dist.log_prob(actions).sum(-1)
    ratio = (logp - old_logp).exp()
    surr1 = ratio * advantages
    surr2 = ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * advantages
    policy_loss = -torch.min(surr1, surr2).mean()
    value_loss = (returns - values).pow(2).mean()
    entropy = dist.entropy().sum(-1).mean()

    loss = policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(actor.parameters(), 0.5)
    optimizer.step()
    history.append({"pi": policy_loss.item(), "vf": value_loss.item()})
