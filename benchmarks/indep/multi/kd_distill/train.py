import torch

from nets import TeacherNet, StudentNet
from distill import DistillationLoss, AverageMeter


def main():
    torch.manual_seed(0)
    teacher = TeacherNet()
    # teacher.load_state_dict(torch.load("teacher.pt"))
    student = StudentNet()
    criterion = DistillationLoss(teacher, temperature=4.0, alpha=0.7)
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3)
    for epoch in range(2):
        meter = AverageMeter()
        student.train()
        for _ in range(4):
            x = torch.randn(16, 20)
            y = torch.randint(0, 5, (16,))
            loss = criterion(x, student(x), y)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), max_norm=5.0)
            optimizer.step()
            meter.update(loss.item(), x.size(0))
        print(f"epoch {epoch} kd loss {meter.avg:.4f}")


if __name__ == "__main__":
    main()
