import torch

from agent import TD3Agent
from replay import ReplayBuffer

OBS, ACT = 6, 2


def main():
    torch.manual_seed(0)
    agent = TD3Agent(OBS, ACT)
    buf = ReplayBuffer(OBS, ACT)
    obs = torch.randn(OBS)
    for t in range(200):
        with torch.no_grad():
            act = (agent.actor(obs) + 0.1 * torch.randn(ACT)).clamp(-1, 1)
        next_obs = 0.9 * obs + 0.1 * torch.randn(OBS)
        rew = -(act ** 2).sum() + obs[0]
        done = float(t % 50 == 49)
        buf.add(obs, act, rew, next_obs, done)
        obs = torch.randn(OBS) if done else next_obs
    for step in range(6):
        info = agent.update(*buf.sample(32))
        print(step, {k: round(v, 4) for k, v in info.items()})


if __name__ == "__main__":
    main()
