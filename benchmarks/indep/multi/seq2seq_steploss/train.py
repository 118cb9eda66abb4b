import torch
import torch.optim as optim

from models import GRUEncoder, GRUDecoder
from losses import sequence_nll

VOCAB = 20
EMB = 16
HID = 32


def make_batch(bs=8, length=6):
    src = torch.randint(1, VOCAB, (bs, length))
    tgt = torch.flip(src, dims=[1])
    bos = torch.ones(bs, 1, dtype=torch.long)
    return src, torch.cat([bos, tgt], dim=1)


def main():
    torch.manual_seed(0)
    encoder = GRUEncoder(VOCAB, EMB, HID)
    decoder = GRUDecoder(VOCAB, EMB, HID)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = optim.Adam(params, lr=1e-3)

    for step in range(5):
        src, tgt = make_batch()
        _, hidden = encoder(src)
        step_logits = decoder(hidden, tgt)
        loss = sequence_nll(step_logits, tgt)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
