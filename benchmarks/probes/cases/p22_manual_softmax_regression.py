import torch
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
dtype = torch.float64

n_samples, n_features, n_classes = 120, 5, 3
torch.manual_seed(0)
centers = torch.randn(n_classes, n_features) * 2
labels = torch.randint(0, n_classes, (n_samples,))
X_all = (centers[labels] + torch.randn(n_samples, n_features)).to(device, dtype)
y_all = labels.to(device)
split = int(0.8 * n_samples)
X, y = X_all[:split], y_all[:split]
X_test, y_test = X_all[split:], y_all[split:]

W = torch.randn(n_features, n_classes, requires_grad=True).to(device, dtype)
b = torch.zeros(n_classes, device=device, dtype=dtype, requires_grad=True)

optimizer = torch.optim.SGD([W, b], lr=0.1)


def predict(X):
    return X @ W + b


for epoch in range(20):
    logits = predict(X)
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        with torch.no_grad():
            acc = (predict(X).argmax(1) == y).double().mean()
        print(f"epoch {epoch:2d} loss {loss.item():.4f} acc {acc.item():.3f}")

with torch.no_grad():
    test_pred = predict(X_test).argmax(1)
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    for t, p in zip(y_test.tolist(), test_pred.tolist()):
        confusion[t, p] += 1
print("test accuracy", (test_pred == y_test).double().mean().item())
print(confusion)
print("W norm", W.norm().item(), "b", b.tolist())
