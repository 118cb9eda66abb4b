import torch


class Seq2SeqTrainer:
    def __init__(self, model, criterion, lr=1e-3, total_steps=10):
        self.model = model
        self.criterion = criterion
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.total_steps = total_steps
        self.step = 0

    def teacher_forcing_ratio(self):
        return max(0.3, 1.0 - self.step / self.total_steps)

    def train_step(self, src, tgt):
        self.model.train()
        logits = self.model(src, tgt, self.teacher_forcing_ratio())
        loss = self.criterion(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        return loss.item()
