CONFIG = {
    "model": {"in_ch": 1, "num_classes": 3, "base": 8},
    "loss": {"name": "dice", "smooth": 1.0},
    "optim": {"lr": 1e-3},
    "epochs": 3,
    "batch_size": 8,
}
