# Linear probing / partial fine-tuning: backbone frozen, only the new head is optimized.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x):
        return self.conv(x).flatten(1)


backbone = Backbone()
# backbone.load_state_dict(torch.load("ssl_pretrained.pt"))
for p in backbone.parameters():
    p.requires_grad = False
backbone.eval()

head = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad,
                                    list(backbone.parameters()) + list(head.parameters())), lr=1e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
criterion = nn.CrossEntropyLoss()

train_x, train_y = torch.randn(32, 3, 16, 16), torch.randint(0, 4, (32,))
val_x, val_y = torch.randn(16, 3, 16, 16), torch.randint(0, 4, (16,))

for epoch in range(3):
    head.train()
    epoch_loss = 0.0
    for xb, yb in zip(train_x.split(8), train_y.split(8)):
        feats = backbone(xb)
        loss = criterion(head(feats), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    scheduler.step()
    head.eval()
    with torch.no_grad():
        val_acc = (head(backbone(val_x)).argmax(1) == val_y).float().mean().item()
    print(f"epoch {epoch} loss {epoch_loss:.3f} val_acc {val_acc:.3f}")
