import torch
import torch.nn as nn
import torch.nn.functional as F

activations = {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = conv_bn(3, width)
        self.layer1 = conv_bn(width, width * 2, stride=2)
        self.layer2 = conv_bn(width * 2, width * 2)
        self.head = nn.Linear(width * 2, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


torch.manual_seed(0)
teacher = Net(width=8)
teacher.eval()
for p in teacher.parameters():
    p.requires_grad = False
student = Net(width=4)
regressor = nn.Conv2d(8, 16, kernel_size=1)

teacher.layer2.register_forward_hook(save_activation("hint"))
student.layer1.register_forward_hook(save_activation("guided"))

# stage 1: train student up to the guided layer with the hint loss
stage1_params = (list(student.stem.parameters()) + list(student.layer1.parameters())
                 + list(regressor.parameters()))
optimizer = torch.optim.SGD(stage1_params, lr=0.05, momentum=0.9)

images = torch.randn(32, 3, 16, 16)
for epoch in range(3):
    for i in range(0, 32, 8):
        x = images[i:i + 8]
        with torch.no_grad():
            teacher(x)
        student(x)
        hint_loss = 0.5 * F.mse_loss(regressor(activations["guided"]), activations["hint"])
        optimizer.zero_grad()
        hint_loss.backward()
        optimizer.step()
    print(f"stage1 epoch {epoch} hint loss {hint_loss.item():.4f}")
