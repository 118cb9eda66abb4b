import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
dtype = torch.float64

torch.manual_seed(0)
n, d = 200, 6
true_w = torch.randn(d, 1)
X_cpu = torch.randn(n, d)
y_cpu = (torch.sigmoid(X_cpu @ true_w) > torch.rand(n, 1)).float()
X = X_cpu.to(device=device, dtype=dtype)
y = y_cpu.to(device=device, dtype=dtype)

w = torch.randn(d, 1, device=device, dtype=dtype) * 0.01
w.requires_grad_()
b = torch.zeros(1).to(device, dtype).requires_grad_()
log_temp = torch.zeros((), dtype=dtype, device=device, requires_grad=True)

params = [w, b, log_temp]
optimizer = torch.optim.LBFGS(params, lr=0.5, max_iter=5)


def nll():
    logits = (X @ w + b) / log_temp.exp()
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + 1e-3 * w.pow(2).sum()


def closure():
    optimizer.zero_grad()
    loss = nll()
    loss.backward()
    return loss


history = []
for it in range(5):
    loss = optimizer.step(closure)
    history.append(float(loss))
    with torch.no_grad():
        acc = (((X @ w + b) > 0).to(dtype) == y).to(dtype).mean().item()
    print(f"iter {it} loss {history[-1]:.4f} acc {acc:.3f} temp {log_temp.exp().item():.3f}")

with torch.no_grad():
    cos = torch.nn.functional.cosine_similarity(w.flatten().cpu().float(), true_w.flatten(), dim=0)
print("cosine(w, true_w) =", round(cos.item(), 3))
