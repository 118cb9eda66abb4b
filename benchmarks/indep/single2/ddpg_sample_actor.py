# DDPG-style continuous control on a toy 1-step environment. The critic learns fine but
# the actor's output never changes. I add Gaussian exploration noise in the actor update.
import torch
import torch.nn as nn
from torch.distributions import Normal

torch.manual_seed(0)
STATE_DIM, ACT_DIM = 4, 2


def env_reward(state, action):
    target = torch.tanh(state[:, :ACT_DIM])
    return -((action - target) ** 2).sum(dim=1, keepdim=True)


actor = nn.Sequential(nn.Linear(STATE_DIM, 32), nn.ReLU(), nn.Linear(32, ACT_DIM), nn.Tanh())
critic = nn.Sequential(nn.Linear(STATE_DIM + ACT_DIM, 32), nn.ReLU(), nn.Linear(32, 1))
actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
sigma = 0.1

for it in range(20):
    state = torch.randn(32, STATE_DIM)
    with torch.no_grad():
        behaviour = (actor(state) + sigma * torch.randn(32, ACT_DIM)).clamp(-1, 1)
        reward = env_reward(state, behaviour)

    # critic: regress Q(s, a) onto the observed reward
    q = critic(torch.cat([state, behaviour], dim=1))
    critic_loss = ((q - reward) ** 2).mean()
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()

    # actor: maximise Q(s, pi(s)) with exploration noise
    policy = Normal(actor(state), sigma)
    action = policy.sample()
    actor_loss = -critic(torch.cat([state, action], dim=1)).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()
    if it % 5 == 0:
        print(it, critic_loss.item(), actor_loss.item())
