# Class-incremental classifier: after each task the output layer grows; old rows are
# copied into the new, larger parameters, which are re-registered on the module, and a new
# optimizer is created for the next task.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ExpandableHead(nn.Module):
    def __init__(self, in_features, n_classes):
        super().__init__()
        self.in_features = in_features
        self.register_parameter("weight", nn.Parameter(torch.randn(n_classes, in_features) * 0.1))
        self.register_parameter("bias", nn.Parameter(torch.zeros(n_classes)))

    @property
    def n_classes(self):
        return self.weight.size(0)

    def expand(self, n_new):
        old_w, old_b = self.weight.detach(), self.bias.detach()
        new_w = torch.randn(self.n_classes + n_new, self.in_features) * 0.1
        new_b = torch.zeros(self.n_classes + n_new)
        new_w[: self.n_classes] = old_w
        new_b[: self.n_classes] = old_b
        self.register_parameter("weight", nn.Parameter(new_w))
        self.register_parameter("bias", nn.Parameter(new_b))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class IncrementalNet(nn.Module):
    def __init__(self, d_in=10, d_hid=32, n_classes=2):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(d_in, d_hid), nn.ReLU())
        self.head = ExpandableHead(d_hid, n_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


if __name__ == "__main__":
    torch.manual_seed(0)
    net = IncrementalNet()
    for task in range(3):
        if task > 0:
            net.head.expand(2)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for step in range(5):
            x = torch.randn(16, 10)
            y = torch.randint(2 * task, 2 * task + 2, (16,))
            optimizer.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
        print("task", task, "classes", net.head.n_classes, loss.item())
