"""Evidence for the one finding gradls reports on the real-library corpus (lightly 1.6.0):
CO2Regularizer.forward returns `torch.tensor(self.alpha * 0.5 * div)`, a copy without history,
so the regularizer contributes no gradient (backward on it alone raises).

    python benchmarks/evidence_lightly_co2.py [CORPUS_DIR]   (default .corpus, see engine.py)

Loads co2.py from the fetched wheel with the memory bank stubbed (memory_bank_size=0 does not use it).
"""
import importlib.util, sys, types
from pathlib import Path

import torch

CORPUS = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / ".corpus")
# Load co2.py alone; stub the memory bank import (memory_size=0 path does not use it).
mb = types.ModuleType("lightly.models.modules.memory_bank")
class MemoryBankModule(torch.nn.Module):
    def __init__(self, *a, **k): super().__init__()
    def forward(self, out, update=False): return out, None
mb.MemoryBankModule = MemoryBankModule
for name in ["lightly", "lightly.models", "lightly.models.modules"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["lightly.models.modules.memory_bank"] = mb
spec = importlib.util.spec_from_file_location("co2", str(CORPUS / "src/lightly/lightly/loss/regularizer/co2.py"))
co2 = importlib.util.module_from_spec(spec); spec.loader.exec_module(co2)
torch.manual_seed(0)
model = torch.nn.Linear(8, 4)
x0, x1 = torch.randn(6, 8), torch.randn(6, 8)
reg = co2.CO2Regularizer(alpha=1, t_consistency=0.05, memory_bank_size=0)
loss = reg(model(x0), model(x1))
print("loss", loss, "requires_grad", loss.requires_grad, "grad_fn", loss.grad_fn)
try:
    loss.backward(); print("weight.grad", model.weight.grad)
except RuntimeError as e:
    print("backward raises:", e)
