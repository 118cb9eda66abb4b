# Knowledge distillation from a big teacher to a small student (Hinton et al.).
# Getting "element 0 of tensors does not require grad and does not have a grad_fn".
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

teacher = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 10))
student = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10))
teacher.eval()


def get_logits(net, x):
    with torch.no_grad():
        return net(x)


def distillation_loss(s_logits, t_logits, labels, T=4.0, alpha=0.7):
    soft = F.kl_div(F.log_softmax(s_logits / T, dim=1),
                    F.softmax(t_logits / T, dim=1), reduction="batchmean") * T * T
    hard = F.cross_entropy(s_logits, labels)
    return alpha * soft + (1 - alpha) * hard


optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
data = torch.randn(64, 32)
labels = torch.randint(0, 10, (64,))

for epoch in range(3):
    for xb, yb in zip(data.split(16), labels.split(16)):
        t_logits = get_logits(teacher, xb)
        s_logits = get_logits(student, xb)
        loss = distillation_loss(s_logits, t_logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
