"""FitNets stage 1: train the student up to its guided layer to regress the teacher's hint."""
import torch

from hooks import FeatureExtractor
from losses import HintRegressor, hint_loss
from models import build_student, build_teacher

GUIDED, HINT = "layer2", "layer2"


def main():
    torch.manual_seed(0)
    teacher, student = build_teacher(), build_student()
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    t_fx = FeatureExtractor(teacher, [HINT])
    s_fx = FeatureExtractor(student, [GUIDED])
    regressor = HintRegressor(student.widths[2], teacher.widths[2])
    optimizer = torch.optim.SGD(list(student.hint_parameters(GUIDED)) + list(regressor.parameters()),
                                lr=0.05, momentum=0.9)

    student.train()
    for step in range(8):
        x = torch.randn(8, 3, 16, 16)
        with torch.no_grad():
            teacher(x)
        student(x)
        loss = hint_loss(regressor(s_fx.features[GUIDED]), t_fx.features[HINT])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(step, round(loss.item(), 5))
    t_fx.remove()
    s_fx.remove()


if __name__ == "__main__":
    main()
