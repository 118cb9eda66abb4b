import copy
import random
import torch
import torch.nn as nn
import torch.nn.functional as F

STATE_DIM, N_ACTIONS = 4, 2
GAMMA = 0.99
BATCH = 32
TARGET_UPDATE = 5


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(STATE_DIM, 64)
        self.fc2 = nn.Linear(64, 64)
        self.out = nn.Linear(64, N_ACTIONS)

    def forward(self, s):
        h = F.relu(self.fc1(s))
        h = F.relu(self.fc2(h))
        return self.out(h)


class ReplayBuffer:
    def __init__(self, cap=1000):
        self.data, self.cap = [], cap

    def push(self, *transition):
        if len(self.data) >= self.cap:
            self.data.pop(0)
        self.data.append(transition)

    def sample(self, n):
        batch = random.sample(self.data, n)
        s, a, r, s2, d = zip(*batch)
        return (torch.stack(s), torch.tensor(a), torch.tensor(r, dtype=torch.float32),
                torch.stack(s2), torch.tensor(d, dtype=torch.float32))


random.seed(0)
torch.manual_seed(0)
policy_net = QNet()
target_net = copy.deepcopy(policy_net)
target_net.eval()
optimizer = torch.optim.RMSprop(policy_net.parameters(), lr=1e-3)
buffer = ReplayBuffer()

for _ in range(200):
    s = torch.randn(STATE_DIM)
    a = random.randrange(N_ACTIONS)
    buffer.push(s, a, random.random(), torch.randn(STATE_DIM), float(random.random() < 0.1))

for step in range(20):
    s, a, r, s2, done = buffer.sample(BATCH)
    q = policy_net(s).gather(1, a.unsqueeze(1)).squeeze(1)
    next_q = target_net(s2).max(1)[0].detach()
    expected = r + GAMMA * next_q * (1 - done)
    loss = F.smooth_l1_loss(q, expected)

    optimizer.zero_grad()
    loss.backward()
    for p in policy_net.parameters():
        p.grad.data.clamp_(-1, 1)
    optimizer.step()

    if step % TARGET_UPDATE == 0:
        target_net.load_state_dict(policy_net.state_dict())
    print(step, loss.item())
