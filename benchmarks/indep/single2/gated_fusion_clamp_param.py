# Two-branch fusion model with a learnable mixing weight alpha that must stay in [0, 1].
# alpha prints the same value after every epoch (0.5) even though the model trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = {"img_dim": 24, "txt_dim": 16, "hidden": 32, "n_classes": 3, "alpha_init": 0.5,
       "lr": 1e-2, "epochs": 4}


class GatedFusion(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.img = nn.Linear(cfg["img_dim"], cfg["hidden"])
        self.txt = nn.Linear(cfg["txt_dim"], cfg["hidden"])
        self.alpha = nn.Parameter(torch.tensor(cfg["alpha_init"]))
        self.out = nn.Linear(cfg["hidden"], cfg["n_classes"])

    def forward(self, img, txt):
        # keep the mixing weight a valid convex coefficient
        self.alpha = nn.Parameter(self.alpha.clamp(0.0, 1.0))
        h = self.alpha * torch.tanh(self.img(img)) + (1 - self.alpha) * torch.tanh(self.txt(txt))
        return self.out(h)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = GatedFusion(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    img, txt = torch.randn(40, cfg["img_dim"]), torch.randn(40, cfg["txt_dim"])
    y = torch.randint(0, cfg["n_classes"], (40,))
    for epoch in range(cfg["epochs"]):
        for i in range(0, 40, 10):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(img[i:i + 10], txt[i:i + 10]), y[i:i + 10])
            loss.backward()
            optimizer.step()
        print(epoch, round(loss.item(), 4), float(model.alpha))
