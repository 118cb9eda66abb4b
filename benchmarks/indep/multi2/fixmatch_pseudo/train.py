import torch

from wideresnet import TinyWRN
from losses import FixMatchLoss
from augment import weak, strong


def main():
    torch.manual_seed(0)
    model = TinyWRN(n_classes=5)
    criterion = FixMatchLoss(threshold=0.3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, nesterov=True)
    x_l = torch.rand(40, 3, 12, 12)
    y_l = torch.randint(0, 5, (40,))
    x_u = torch.rand(120, 3, 12, 12)
    for step in range(6):
        i = torch.randint(0, 40, (8,))
        j = torch.randint(0, 120, (24,))
        inputs = torch.cat([weak(x_l[i]), weak(x_u[j]), strong(x_u[j])])
        logits = model(inputs)
        logits_x = logits[:8]
        logits_u_w, logits_u_s = logits[8:].chunk(2)
        loss = criterion(logits_x, y_l[i], logits_u_w, logits_u_s)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} " + " ".join(f"{k}={v:.3f}" for k, v in criterion.stats.items()))


if __name__ == "__main__":
    main()
