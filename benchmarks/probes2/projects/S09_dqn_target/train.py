"""Train a double-DQN agent on the corridor task."""
import torch

from agents import make_agent
from envs import Corridor
from replay import ReplayBuffer

HPARAMS = dict(total_steps=300, warmup=32, batch_size=32, eps_start=1.0, eps_end=0.05, eps_decay=200)


def epsilon(step, h):
    frac = min(1.0, step / h["eps_decay"])
    return h["eps_start"] + frac * (h["eps_end"] - h["eps_start"])


def main():
    torch.manual_seed(0)
    env = Corridor()
    agent = make_agent("dqn", env.obs_dim, env.n_actions, gamma=0.95, lr=1e-3, target_sync=20)
    buffer = ReplayBuffer(1000, env.obs_dim)
    obs, ep_return, returns = env.reset(), 0.0, []
    for step in range(HPARAMS["total_steps"]):
        action = agent.act(obs, epsilon(step, HPARAMS))
        next_obs, reward, done = env.step(action)
        buffer.add(obs, action, reward, next_obs, float(done))
        obs, ep_return = next_obs, ep_return + reward
        if done:
            returns.append(ep_return)
            obs, ep_return = env.reset(), 0.0
        if buffer.size >= HPARAMS["warmup"]:
            loss = agent.update(buffer.sample(HPARAMS["batch_size"]))
    print("episodes", len(returns), "last returns", returns[-3:], "loss", loss)


if __name__ == "__main__":
    main()
