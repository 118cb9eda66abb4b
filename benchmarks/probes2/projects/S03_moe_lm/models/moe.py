"""Switch-style mixture-of-experts feed-forward layer (top-1 routing)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Expert(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Top1Router(nn.Module):
    def __init__(self, d_model, num_experts, jitter=0.0):
        super().__init__()
        self.gate = nn.Linear(d_model, num_experts, bias=False)
        self.jitter = jitter

    def forward(self, x):
        if self.training and self.jitter > 0:
            x = x * torch.empty_like(x).uniform_(1.0 - self.jitter, 1.0 + self.jitter)
        probs = F.softmax(self.gate(x), dim=-1)
        expert_idx = probs.argmax(dim=-1)
        return probs, expert_idx


class SwitchFFN(nn.Module):
    def __init__(self, d_model, d_ff, num_experts):
        super().__init__()
        self.num_experts = num_experts
        self.router = Top1Router(d_model, num_experts)
        self.experts = nn.ModuleList(Expert(d_model, d_ff) for _ in range(num_experts))

    def forward(self, x):
        shape = x.shape
        tokens = x.reshape(-1, shape[-1])
        probs, expert_idx = self.router(tokens)
        combine = F.one_hot(expert_idx, self.num_experts).type_as(tokens)   # (N, E)
        expert_out = torch.stack([expert(tokens) for expert in self.experts], dim=1)   # (N, E, D)
        out = torch.einsum("ne,ned->nd", combine, expert_out)
        self.last_load = combine.mean(dim=0)
        return out.reshape(shape)
