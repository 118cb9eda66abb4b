# DQN with experience replay and a target network (CartPole-like toy env).
import random
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)


class QNet(nn.Module):
    def __init__(self, obs_dim=4, n_actions=2):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 64)
        self.fc2 = nn.Linear(64, 64)
        self.out = nn.Linear(64, n_actions)

    def forward(self, x):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))


policy_net = QNet()
target_net = QNet()
target_net.load_state_dict(policy_net.state_dict())
target_net.eval()
for p in target_net.parameters():
    p.requires_grad_(False)

optimizer = torch.optim.Adam(policy_net.parameters(), lr=1e-3)
gamma, batch_size = 0.99, 32

memory = []
for _ in range(200):
    s = torch.randn(4)
    a = random.randrange(2)
    memory.append((s, a, random.random(), torch.randn(4), random.random() < 0.05))

for step in range(20):
    batch = random.sample(memory, batch_size)
    states = torch.stack([b[0] for b in batch])
    actions = torch.tensor([b[1] for b in batch]).unsqueeze(1)
    rewards = torch.tensor([b[2] for b in batch], dtype=torch.float32)
    next_states = torch.stack([b[3] for b in batch])
    dones = torch.tensor([b[4] for b in batch], dtype=torch.float32)

    q_values = policy_net(states).gather(1, actions).squeeze(1)
    with torch.no_grad():
        next_q = target_net(next_states).max(1)[0]
        expected = rewards + gamma * next_q * (1 - dones)

    loss = F.smooth_l1_loss(q_values, expected)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()

    if step % 10 == 0:
        target_net.load_state_dict(policy_net.state_dict())
        print(step, loss.item())
