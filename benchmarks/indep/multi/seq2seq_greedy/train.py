import random

import torch
import torch.nn as nn

from modules import EncoderRNN, AttnDecoderRNN
from data import copy_task

VOCAB, HIDDEN = 12, 24


def main():
    random.seed(0)
    torch.manual_seed(0)
    encoder = EncoderRNN(VOCAB, HIDDEN)
    decoder = AttnDecoderRNN(VOCAB, HIDDEN)
    enc_opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    dec_opt = torch.optim.Adam(decoder.parameters(), lr=1e-3)
    criterion = nn.NLLLoss()
    for it in range(6):
        src, tgt = copy_task(8, 5, VOCAB)
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        enc_out, hidden = encoder(src)
        log_probs = decoder(enc_out, hidden, tgt)
        loss = criterion(log_probs.reshape(-1, VOCAB), tgt.reshape(-1))
        loss.backward()
        enc_opt.step()
        dec_opt.step()
        print(f"iter {it} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
