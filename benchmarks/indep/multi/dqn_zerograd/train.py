import random

import torch

from agent import DQNAgent
from replay import ReplayBuffer

OBS_DIM = 4
N_ACTIONS = 2


def fake_env_step(state, action):
    next_state = state + 0.1 * torch.randn(OBS_DIM)
    reward = 1.0 if action == int(state[0] > 0) else 0.0
    done = random.random() < 0.05
    return next_state, reward, done


def main():
    random.seed(0)
    torch.manual_seed(0)
    agent = DQNAgent(OBS_DIM, N_ACTIONS)
    buffer = ReplayBuffer(1000)
    state = torch.randn(OBS_DIM)
    eps = 1.0
    for t in range(200):
        action = agent.act(state, eps)
        next_state, reward, done = fake_env_step(state, action)
        buffer.push(state, action, reward, next_state, float(done))
        state = torch.randn(OBS_DIM) if done else next_state
        eps = max(0.05, eps * 0.98)
        if len(buffer) >= 32:
            loss = agent.update(buffer.sample(32))
            if t % 50 == 0:
                print(f"t={t} loss={loss:.4f} eps={eps:.2f}")
        if t % 100 == 0:
            agent.sync_target()


if __name__ == "__main__":
    main()
