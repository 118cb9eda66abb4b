"""Evidence for gradls's GRD109 on trl's DPOTrainer (trl/trainer/dpo_trainer.py, the fetched
--large corpus): with loss_type="hinge" the per-sequence loss is `torch.relu(...)`, whose result
autograd saves for backward; with use_weighting=True the trainer then runs
`per_sequence_loss *= chosen_weights * rejected_weights`, an in-place change of that saved
result, and backward raises "modified by an inplace operation".

    python benchmarks/evidence_trl_dpo_hinge_weighting.py [CORPUS_DIR]   (default /tmp/large)

Importing the trainer needs transformers and a model; this script checks that the two
statements are in the fetched file and runs them on tensors shaped as the trainer's.
"""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: F401  (the trainer's own alias, used by its statements)

CORPUS = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/large")
source = (CORPUS / "src/trl/trl/trainer/dpo_trainer.py").read_text()
HINGE = "per_sequence_loss = torch.relu(1 - self.beta * delta_score)"
WEIGHTING = "per_sequence_loss *= chosen_weights * rejected_weights"
for statement in (HINGE, WEIGHTING):
    assert statement in source, f"not in the fetched dpo_trainer.py: {statement}"


class Trainer:
    beta = 0.1


self = Trainer()
torch.manual_seed(0)
policy = torch.nn.Linear(8, 1)
delta_score = policy(torch.randn(4, 8)).squeeze(-1)  # depends on the trained policy
weights = torch.rand(8)
chosen_weights, rejected_weights = weights.chunk(2, dim=0)
exec(HINGE)
exec(WEIGHTING)
try:
    per_sequence_loss.mean().backward()  # noqa: F821  (bound by exec)
    print("backward ran: weight.grad", policy.weight.grad)
except RuntimeError as error:
    print("backward raises:", str(error)[:160])
