# Gradient accumulation to simulate batch size 64 with micro-batches of 8.
# Since I added accumulation the loss doesn't move at all.
import torch
import torch.nn as nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
criterion = nn.MSELoss()
accumulation_steps = 4

X = torch.randn(64, 20)
Y = X[:, :1] * 2.0 + 0.1 * torch.randn(64, 1)
loader = list(zip(X.split(8), Y.split(8)))

for epoch in range(2):
    running = 0.0
    for i, (xb, yb) in enumerate(loader):
        pred = model(xb)
        loss = criterion(pred, yb) / accumulation_steps
        loss.backward()
        running += loss.item()
        if (i + 1) % accumulation_steps == 0:
            optimizer.zero_grad()
            optimizer.step()
    print(f"epoch {epoch} loss {running:.4f}")
