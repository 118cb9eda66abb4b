import torch
import torch.nn as nn
import torch.nn.functional as F


def make_model():
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))


class MeanTeacher:
    def __init__(self, alpha=0.99):
        self.student = make_model()
        self.teacher = make_model()
        self.teacher.load_state_dict(self.student.state_dict())
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.alpha = alpha

    @torch.no_grad()
    def update_teacher(self, global_step):
        alpha = min(1 - 1 / (global_step + 1), self.alpha)
        for t, s in zip(self.teacher.parameters(), self.student.parameters()):
            t.mul_(alpha).add_(s.detach(), alpha=1 - alpha)


def consistency_loss(student_logits, teacher_logits):
    return F.mse_loss(F.softmax(student_logits, 1), F.softmax(teacher_logits, 1))


torch.manual_seed(0)
mt = MeanTeacher()
optimizer = torch.optim.SGD(mt.student.parameters(), lr=0.05, momentum=0.9)

x_lab = torch.randn(16, 20)
y_lab = torch.randint(0, 3, (16,))
x_unlab = torch.randn(64, 20)

step = 0
for epoch in range(5):
    for i in range(0, 64, 16):
        xu = x_unlab[i:i + 16]
        noise = 0.1 * torch.randn_like(xu)
        s_logits_l = mt.student(x_lab)
        s_logits_u = mt.student(xu + noise)
        with torch.no_grad():
            t_logits_u = mt.teacher(xu)
        loss = F.cross_entropy(s_logits_l, y_lab) + 1.0 * consistency_loss(s_logits_u, t_logits_u)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        mt.update_teacher(step)
        step += 1
    print(epoch, round(loss.item(), 4))
