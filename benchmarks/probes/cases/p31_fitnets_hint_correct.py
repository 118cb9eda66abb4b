import torch
import torch.nn as nn
import torch.nn.functional as F


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


class FeatureTap:
    def __init__(self, module, detach=False):
        self.detach = detach
        self.value = None
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        self.value = output.detach() if self.detach else output

    def remove(self):
        self.handle.remove()


torch.manual_seed(0)
teacher = Net(width=8).eval()
student = Net(width=4)
regressor = nn.Conv2d(8, 16, kernel_size=1)

hint = FeatureTap(teacher.layer2, detach=True)
guided = FeatureTap(student.layer1)
norms = FeatureTap(student.layer2, detach=True)

optimizer = torch.optim.SGD(
    [*student.stem.parameters(), *student.layer1.parameters(), *regressor.parameters()],
    lr=0.05, momentum=0.9)

images = torch.randn(32, 3, 16, 16)
for epoch in range(3):
    for i in range(0, 32, 8):
        x = images[i:i + 8]
        teacher(x)
        student(x)
        hint_loss = 0.5 * F.mse_loss(regressor(guided.value), hint.value)
        optimizer.zero_grad()
        hint_loss.backward()
        optimizer.step()
    print(f"epoch {epoch} hint {hint_loss.item():.4f} layer2 norm {norms.value.norm().item():.2f}")

for tap in (hint, guided, norms):
    tap.remove()
