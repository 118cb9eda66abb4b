import torch
import torch.nn.functional as F

from model import DomainAdaptNet


def main():
    torch.manual_seed(0)
    model = DomainAdaptNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    src_x, src_y = torch.randn(64, 16), torch.randint(0, 3, (64,))
    tgt_x = torch.randn(64, 16) + 0.5
    for step in range(8):
        i = torch.randint(0, 64, (16,))
        x = torch.cat([src_x[i], tgt_x[i]])
        dom = torch.cat([torch.zeros(16), torch.ones(16)])
        cls_logits, dom_logits = model(x, lambd=0.3)
        loss = F.cross_entropy(cls_logits[:16], src_y[i]) + F.binary_cross_entropy_with_logits(dom_logits, dom)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f} alpha {model.alpha.item():.3f}")


if __name__ == "__main__":
    main()
