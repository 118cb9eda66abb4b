import torch

predictions = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], requires_grad=True)
targets = torch.tensor([1, 0, 0])
predicted = torch.argmax(predictions, dim=1)
loss = ((predicted - targets) ** 2).float().mean()
loss.backward()
