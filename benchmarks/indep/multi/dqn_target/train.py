import torch

from networks import DuelingQNet
from trainer import DoubleDQNTrainer

OBS, ACT = 6, 3


def random_transitions(n):
    obs = torch.randn(n, OBS)
    actions = torch.randint(0, ACT, (n,))
    rewards = (obs[:, 0] > 0).float()
    next_obs = obs + 0.1 * torch.randn(n, OBS)
    dones = (torch.rand(n) < 0.1).float()
    return obs, actions, rewards, next_obs, dones


def main():
    torch.manual_seed(0)
    trainer = DoubleDQNTrainer(DuelingQNet(OBS, ACT))
    for it in range(10):
        loss = trainer.train_step(*random_transitions(32))
        if it % 3 == 0:
            print(f"iter {it} loss {loss:.4f}")


if __name__ == "__main__":
    main()
