# REINFORCE on a toy bandit-like environment.
# "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)


class Policy(nn.Module):
    def __init__(self, obs_dim=4, n_actions=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, n_actions))

    def forward(self, obs):
        return torch.softmax(self.net(obs), dim=-1)


class ToyEnv:
    def reset(self):
        self.t = 0
        self.state = torch.randn(4)
        return self.state

    def step(self, action):
        self.t += 1
        reward = 1.0 if (action == int(self.state[0] > 0)) else 0.0
        self.state = torch.randn(4)
        return self.state, reward, self.t >= 10


policy = Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
env, gamma = ToyEnv(), 0.99

for episode in range(3):
    obs, done = env.reset(), False
    saved_log_probs, rewards = [], []
    while not done:
        dist = Categorical(policy(obs))
        action = dist.sample()
        saved_log_probs.append(dist.log_prob(action))
        obs, r, done = env.step(action.item())
        rewards.append(r)
    R, returns = 0.0, []
    for r in reversed(rewards):
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-8)
    log_probs = torch.tensor(saved_log_probs)
    policy_loss = -(log_probs * returns).sum()
    optimizer.zero_grad()
    policy_loss.backward()
    optimizer.step()
    print(episode, sum(rewards))
