# Implementing SGD by hand for a course assignment; I only use torch.optim for the
# StepLR schedule. Loss stays exactly the same every epoch, what am I missing?
import torch
import torch.nn as nn

if __name__ == "__main__":
    torch.manual_seed(0)
    X = torch.randn(128, 10)
    true_w = torch.randn(10, 1)
    y = X @ true_w + 0.1 * torch.randn(128, 1)

    model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1))
    criterion = nn.MSELoss()
    # optimizer is only used to drive the learning-rate schedule
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    for epoch in range(5):
        lr = optimizer.param_groups[0]["lr"]
        for i in range(0, 128, 32):
            xb, yb = X[i:i + 32], y[i:i + 32]
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p = p - lr * p.grad
        scheduler.step()
        print(epoch, lr, loss.item())
