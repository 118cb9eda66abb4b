# Mean Teacher semi-supervised learning: teacher is an EMA of the student.
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

student = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 5))
teacher = copy.deepcopy(student)
for p in teacher.parameters():
    p.detach_()

optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, nesterov=True)


@torch.no_grad()
def update_ema(student, teacher, alpha=0.99):
    for t_p, s_p in zip(teacher.parameters(), student.parameters()):
        t_p.mul_(alpha).add_(s_p, alpha=1 - alpha)


x_lab, y_lab = torch.randn(16, 20), torch.randint(0, 5, (16,))
x_unlab = torch.randn(64, 20)

for step in range(10):
    noise = 0.1 * torch.randn_like(x_unlab)
    s_logits_lab = student(x_lab)
    s_logits_un = student(x_unlab + noise)
    with torch.no_grad():
        t_probs = F.softmax(teacher(x_unlab - noise), dim=1)
    class_loss = F.cross_entropy(s_logits_lab, y_lab)
    consistency = F.mse_loss(F.softmax(s_logits_un, dim=1), t_probs)
    loss = class_loss + 10.0 * consistency
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    update_ema(student, teacher)
    print(step, class_loss.item(), consistency.item())

teacher.eval()
with torch.no_grad():
    acc = (teacher(x_lab).argmax(1) == y_lab).float().mean().item()
print("teacher acc", acc)
