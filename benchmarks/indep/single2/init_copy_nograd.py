# Config-built bag-of-embeddings classifier. Embeddings are copied from a pretrained table
# and the output bias is set to the log class prior before the optimizer is created.
import torch
import torch.nn as nn

config = {
    "vocab_size": 100,
    "embed_dim": 16,
    "num_classes": 4,
    "class_counts": [50, 30, 15, 5],
    "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9},
    "steps": 10,
}


class BagClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_classes):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, tokens, offsets):
        return self.head(self.embed(tokens, offsets))


def build(cfg, pretrained):
    model = BagClassifier(cfg["vocab_size"], cfg["embed_dim"], cfg["num_classes"])
    with torch.no_grad():
        model.embed.weight.copy_(pretrained)
        prior = torch.tensor(cfg["class_counts"], dtype=torch.float)
        model.head.bias.copy_(torch.log(prior / prior.sum()))
        model.head.weight.normal_(0.0, 0.01)
    ocfg = dict(cfg["optimizer"])
    opt_cls = getattr(torch.optim, ocfg.pop("type"))
    optimizer = opt_cls(model.parameters(), **ocfg)
    return model, optimizer


if __name__ == "__main__":
    torch.manual_seed(0)
    pretrained = torch.randn(config["vocab_size"], config["embed_dim"])
    model, optimizer = build(config, pretrained)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(config["steps"]):
        lengths = torch.randint(2, 7, (8,))
        tokens = torch.randint(0, config["vocab_size"], (int(lengths.sum()),))
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
        labels = torch.randint(0, config["num_classes"], (8,))
        optimizer.zero_grad()
        loss = loss_fn(model(tokens, offsets), labels)
        loss.backward()
        optimizer.step()
        print(step, loss.item())
