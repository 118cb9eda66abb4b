"""`gradls confirm` starts from the findings `gradls check` reports, cross-module ones included,
and matches the run's cuts to them where they are (not at the script's call line)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ENCODER = """import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 8)

    def forward(self, x):
        h = self.body(x)
        return h.detach()
"""

TRAIN = """import torch
import torch.nn as nn

from models.encoder import Encoder

torch.manual_seed(0)
encoder = Encoder()
head = nn.Linear(8, 1)
opt = torch.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.1)
x = torch.randn(16, 8)
for step in range(2):
    loss = head(encoder(x)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def gradls(cwd: Path, *args: str) -> dict | list:
    p = subprocess.run([sys.executable, "-m", "gradls", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=300)
    return json.loads(p.stdout)


def test_a_break_in_an_imported_module_is_confirmed_where_it_is(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "encoder.py").write_text(ENCODER)
    (tmp_path / "train.py").write_text(TRAIN)
    static = gradls(tmp_path, "check", "--no-cache", "--output-format", "json", "train.py")
    report = gradls(tmp_path, "confirm", "--device", "cpu", "--output-format", "json", "train.py")
    assert report["outcome"] == "backward", report
    checked = {(f["path"], f["line"], f["code"]) for f in static}
    assert ("models/encoder.py", 11, "GRD101") in checked  # the static pass reports it there
    confirmed = {(f["path"], f["line"], f["code"]): f["shadow"] for f in report["findings"]}
    # confirm starts from the same findings as check
    assert checked <= set(confirmed), (checked, confirmed)
    shadow = confirmed[("models/encoder.py", 11, "GRD101")]
    assert shadow["status"] == "confirmed", shadow
    assert "encoder.body.weight" in shadow["evidence"]
    # and the run's cut is that finding, not a second one at the call in train.py
    assert not [f for f in report["findings"] if f["shadow"]["status"] == "runtime_only"], report
    assert not (tmp_path / ".gradls_cache").exists()
