import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(width, depth, n_in=16, n_out=5):
    layers, d = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, n_out))


class Distiller(nn.Module):
    def __init__(self, student, teacher, temperature=4.0, alpha=0.7):
        super().__init__()
        self.student = student
        self.teacher = teacher
        self.T = temperature
        self.alpha = alpha

    def forward(self, x, y):
        with torch.no_grad():
            t_logits = self.teacher(x)
        s_logits = self.student(x)
        kd = F.kl_div(F.log_softmax(s_logits / self.T, dim=1),
                      F.softmax(t_logits / self.T, dim=1),
                      reduction="batchmean") * self.T ** 2
        ce = F.cross_entropy(s_logits, y)
        return self.alpha * kd + (1 - self.alpha) * ce, s_logits


torch.manual_seed(0)
teacher = mlp(width=128, depth=3)
teacher.load_state_dict(mlp(width=128, depth=3).state_dict())
teacher.eval()
student = mlp(width=16, depth=1)

distiller = Distiller(teacher, student, temperature=2.0)
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)

X = torch.randn(128, 16)
Y = torch.randint(0, 5, (128,))
for epoch in range(3):
    for i in range(0, 128, 32):
        loss, s_logits = distiller(X[i:i + 32], Y[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        acc = (student(X).argmax(1) == Y).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.4f} student acc {acc:.3f}")
