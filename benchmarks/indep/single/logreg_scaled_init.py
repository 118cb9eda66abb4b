# Softmax regression from scratch (no nn.Module), following a tutorial.
# TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'
import torch

torch.manual_seed(0)

n_features, n_classes = 30, 4
X = torch.randn(200, n_features)
true_W = torch.randn(n_features, n_classes)
y = (X @ true_W).argmax(dim=1)

W = torch.randn(n_features, n_classes, requires_grad=True) * 0.01
b = torch.zeros(n_classes, requires_grad=True)
lr = 0.5


def model(x):
    return x @ W + b


for epoch in range(10):
    logits = model(X)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
        W.grad.zero_()
        b.grad.zero_()
    if epoch % 2 == 0:
        acc = (logits.argmax(1) == y).float().mean()
        print(epoch, loss.item(), acc.item())
