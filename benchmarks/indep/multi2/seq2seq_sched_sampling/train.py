import random

import torch

from model import Seq2Seq
from losses import LabelSmoothingLoss
from trainer import Seq2SeqTrainer

VOCAB = 20


def main():
    random.seed(0)
    torch.manual_seed(0)
    src = torch.randint(2, VOCAB, (64, 7))
    tgt = torch.flip(src, dims=[1])
    tgt[::4, -2:] = 0  # padding
    trainer = Seq2SeqTrainer(Seq2Seq(vocab=VOCAB), LabelSmoothingLoss(VOCAB, 0.1), lr=3e-3, total_steps=8)
    for step in range(8):
        i = torch.randint(0, 64, (16,))
        loss = trainer.train_step(src[i], tgt[i])
        print(f"step {step} tf={trainer.teacher_forcing_ratio():.2f} loss {loss:.4f}")


if __name__ == "__main__":
    main()
