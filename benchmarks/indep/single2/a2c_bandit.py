# Advantage actor-critic on a contextual bandit: shared torso, policy and value heads.
# The value estimate is detached in the advantage so the policy gradient does not push
# the critic; the critic has its own MSE loss.
import torch
import torch.nn as nn
from torch.distributions import Categorical

N_ARMS, CTX = 4, 6


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.torso = nn.Sequential(nn.Linear(CTX, 32), nn.Tanh())
        self.pi = nn.Linear(32, N_ARMS)
        self.v = nn.Linear(32, 1)

    def forward(self, ctx):
        h = self.torso(ctx)
        return self.pi(h), self.v(h).squeeze(-1)


def reward_fn(ctx, arm):
    best = ctx[:, :N_ARMS].argmax(dim=1)
    return (arm == best).float() + 0.1 * torch.randn(arm.shape)


def a2c_update(model, optimizer, ctx, value_coef=0.5, ent_coef=0.01):
    logits, value = model(ctx)
    dist = Categorical(logits=logits)
    arm = dist.sample()
    reward = reward_fn(ctx, arm)
    advantage = reward - value.detach()
    policy_loss = -(dist.log_prob(arm) * advantage).mean()
    value_loss = (reward - value).pow(2).mean()
    loss = policy_loss + value_coef * value_loss - ent_coef * dist.entropy().mean()
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    return reward.mean().item()


if __name__ == "__main__":
    torch.manual_seed(0)
    model = ActorCritic()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=7e-4)
    for it in range(15):
        r = a2c_update(model, optimizer, torch.randn(32, CTX))
        if it % 5 == 0:
            print(it, r)
