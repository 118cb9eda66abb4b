import torch
import torch.nn.functional as F

from utils import AverageMeter, accuracy


def train_one_epoch(model, loader, optimizer, scheduler=None):
    model.train()
    losses, top1 = AverageMeter("loss"), AverageMeter("acc@1")
    for images, targets in loader:
        output = model(images)
        loss = F.cross_entropy(output, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        acc1, = accuracy(output, targets, topk=(1,))
        losses.update(loss.item(), images.size(0))
        top1.update(acc1, images.size(0))
    return losses.avg, top1.avg


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    top1, top5 = AverageMeter("acc@1"), AverageMeter("acc@5")
    for images, targets in loader:
        output = model(images)
        acc1, acc5 = accuracy(output, targets, topk=(1, 5))
        top1.update(acc1, images.size(0))
        top5.update(acc5, images.size(0))
    return top1.avg, top5.avg
