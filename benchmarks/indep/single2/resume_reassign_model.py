# Config-driven training with an optional resume from checkpoint. When resume is on, the
# loss never decreases after resuming (it is as if the model is frozen).
import io
import torch
import torch.nn as nn

CONFIG = {
    "model": {"in_dim": 16, "hidden": [64, 32], "out_dim": 5, "dropout": 0.1},
    "optim": {"name": "Adam", "lr": 1e-3, "weight_decay": 0.0},
    "train": {"epochs": 3, "batch_size": 16},
    "resume": True,
}


def build_model(cfg):
    layers, d = [], cfg["in_dim"]
    for h in cfg["hidden"]:
        layers += [nn.Linear(d, h), nn.ReLU(), nn.Dropout(cfg["dropout"])]
        d = h
    layers.append(nn.Linear(d, cfg["out_dim"]))
    return nn.Sequential(*layers)


def build_optimizer(params, cfg):
    cls = getattr(torch.optim, cfg["name"])
    return cls(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])


def fake_checkpoint(cfg):
    # stands in for the .pt file produced by a previous run
    buf = io.BytesIO()
    torch.save({"model": build_model(cfg["model"]).state_dict(), "epoch": 7}, buf)
    buf.seek(0)
    return buf


if __name__ == "__main__":
    torch.manual_seed(0)
    cfg = CONFIG
    model = build_model(cfg["model"])
    optimizer = build_optimizer(model.parameters(), cfg["optim"])
    start_epoch = 0
    if cfg["resume"]:
        ckpt = torch.load(fake_checkpoint(cfg))
        model = build_model(cfg["model"])
        model.load_state_dict(ckpt["model"])
        start_epoch = ckpt["epoch"] + 1

    X = torch.randn(64, cfg["model"]["in_dim"])
    Y = torch.randint(0, cfg["model"]["out_dim"], (64,))
    criterion = nn.CrossEntropyLoss()
    bs = cfg["train"]["batch_size"]
    for epoch in range(start_epoch, start_epoch + cfg["train"]["epochs"]):
        model.train()
        for i in range(0, len(X), bs):
            optimizer.zero_grad()
            loss = criterion(model(X[i:i + bs]), Y[i:i + bs])
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())
