# Minimal TD3 on a random-transition toy problem: twin critics, target networks updated by
# Polyak averaging, target computed without gradient, delayed actor updates.
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

S, A = 5, 2


def mlp(i, o, act=None):
    layers = [nn.Linear(i, 32), nn.ReLU(), nn.Linear(32, o)]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


class TD3:
    def __init__(self, gamma=0.99, tau=0.005, policy_noise=0.2, noise_clip=0.5, policy_delay=2):
        self.actor = mlp(S, A, nn.Tanh())
        self.q1, self.q2 = mlp(S + A, 1), mlp(S + A, 1)
        self.actor_t = copy.deepcopy(self.actor)
        self.q1_t, self.q2_t = copy.deepcopy(self.q1), copy.deepcopy(self.q2)
        for net in (self.actor_t, self.q1_t, self.q2_t):
            net.requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=1e-3)
        self.gamma, self.tau = gamma, tau
        self.policy_noise, self.noise_clip, self.policy_delay = policy_noise, noise_clip, policy_delay
        self.it = 0

    @torch.no_grad()
    def soft_update(self, net, target):
        for p, tp in zip(net.parameters(), target.parameters()):
            tp.mul_(1 - self.tau).add_(p, alpha=self.tau)

    def update(self, s, a, r, s2, done):
        self.it += 1
        with torch.no_grad():
            noise = (torch.randn_like(a) * self.policy_noise).clamp(-self.noise_clip, self.noise_clip)
            a2 = (self.actor_t(s2) + noise).clamp(-1, 1)
            sa2 = torch.cat([s2, a2], 1)
            target = r + self.gamma * (1 - done) * torch.min(self.q1_t(sa2), self.q2_t(sa2))
        sa = torch.cat([s, a], 1)
        critic_loss = F.mse_loss(self.q1(sa), target) + F.mse_loss(self.q2(sa), target)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        if self.it % self.policy_delay == 0:
            actor_loss = -self.q1(torch.cat([s, self.actor(s)], 1)).mean()
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            self.soft_update(self.actor, self.actor_t)
            self.soft_update(self.q1, self.q1_t)
            self.soft_update(self.q2, self.q2_t)
        return critic_loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    agent = TD3()
    for step in range(8):
        s, s2 = torch.randn(16, S), torch.randn(16, S)
        a = torch.rand(16, A) * 2 - 1
        r = torch.randn(16, 1)
        done = (torch.rand(16, 1) < 0.1).float()
        print(step, agent.update(s, a, r, s2, done))
