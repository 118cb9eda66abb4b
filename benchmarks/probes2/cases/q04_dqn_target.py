"""Double DQN update from a replay buffer with a periodically synced target
network, epsilon-greedy acting and Huber loss."""
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)

OBS, N_ACTIONS, GAMMA, BATCH = 6, 4, 0.99, 32


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(OBS, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.value = nn.Linear(64, 1)
        self.adv = nn.Linear(64, N_ACTIONS)

    def forward(self, x):
        h = self.body(x)
        a = self.adv(h)
        return self.value(h) + a - a.mean(dim=1, keepdim=True)


class Replay:
    def __init__(self, cap=1000):
        self.buf = deque(maxlen=cap)

    def push(self, *tr):
        self.buf.append(tr)

    def sample(self, n):
        batch = random.sample(self.buf, n)
        s, a, r, s2, d = zip(*batch)
        return (torch.stack(s), torch.tensor(a), torch.tensor(r, dtype=torch.float32),
                torch.stack(s2), torch.tensor(d, dtype=torch.float32))


def act(net, obs, eps):
    if random.random() < eps:
        return random.randrange(N_ACTIONS)
    with torch.no_grad():
        return int(net(obs.unsqueeze(0)).argmax(dim=1).item())


online, target = QNet(), QNet()
target.load_state_dict(online.state_dict())
target.eval()
optimizer = torch.optim.Adam(online.parameters(), lr=1e-3)
replay = Replay()

obs = torch.randn(OBS)
for t in range(200):
    a = act(online, obs, eps=0.3)
    nxt = torch.randn(OBS)
    replay.push(obs, a, float(torch.randn(())), nxt, float(t % 50 == 49))
    obs = nxt

stats = []
for step in range(20):
    s, a, r, s2, d = replay.sample(BATCH)
    q = online(s).gather(1, a.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        best = online(s2).argmax(dim=1, keepdim=True)
        q_next = target(s2).gather(1, best).squeeze(1)
        y = r + GAMMA * (1 - d) * q_next
    loss = F.smooth_l1_loss(q, y.detach())
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), 10.0)
    optimizer.step()
    stats.append((loss.item(), q.mean().item()))
    if step % 5 == 4:
        target.load_state_dict(online.state_dict())
