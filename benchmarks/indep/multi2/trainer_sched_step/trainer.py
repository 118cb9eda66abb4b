import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model, lr=1e-3, warmup_steps=10, clip=1.0):
        self.model = model
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: min(1.0, (s + 1) / warmup_steps)
        )
        self.clip = clip
        self.global_step = 0

    def train_step(self, tokens, labels):
        self.model.train()
        logits = self.model(tokens)
        loss = self.criterion(logits, labels)
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.scheduler.step()
        self.global_step += 1
        return loss.item()

    @torch.no_grad()
    def evaluate(self, tokens, labels):
        self.model.eval()
        pred = self.model(tokens).argmax(-1)
        return (pred == labels).float().mean().item()
