"""The setup evaluation (gradls/analysis/objects.py) against torch itself.

What the evaluator says a model owns (parameter names, in registration order) must be what
torch builds from the same code; values it cannot know stay UNKNOWN; hostile code ends.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from gradls.analysis.names import PARAMLESS_MODULES, ImportMap
from gradls.analysis.objects import UNKNOWN, ModuleObj, SetupWorld

MODELS = {
    "mlp": "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2, bias=False))",
    "norms": "model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.GroupNorm(2, 4), "
             "nn.LayerNorm(4, elementwise_affine=False), nn.InstanceNorm2d(4), nn.Embedding(10, 4))",
    "rnn": "model = nn.ModuleDict({'a': nn.LSTM(4, 8, num_layers=2, bidirectional=True), "
           "'b': nn.GRUCell(4, 8), 'c': nn.GRU(4, 8, 1, False)})",
    "transformer": "layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)\n"
                   "model = nn.Sequential(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), "
                   "nn.TransformerDecoderLayer(8, 2, 16), nn.MultiheadAttention(8, 2))",
    "local_class": textwrap.dedent("""
        class Block(nn.Module):
            def __init__(self, width, depth=2):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
                self.scale = nn.Parameter(torch.ones(width))
                self.plain = [nn.Linear(width, 1)]
                self.register_buffer("mask", torch.ones(width))

        class Net(Block):
            def __init__(self):
                super().__init__(6, depth=3)
                self.head = nn.Linear(6, 2)
                self.add_module("extra", nn.Conv1d(1, 1, 3))

        model = Net()
        model.head = nn.Linear(6, 3)
    """),
}


def _world(code: str) -> SetupWorld:
    source = "import torch\nimport torch.nn as nn\n" + code
    tree = ast.parse(source)
    return SetupWorld.evaluate(tree, ImportMap.from_module(tree), PARAMLESS_MODULES)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameter_names_match_torch(name):
    torch = pytest.importorskip("torch")
    code = MODELS[name]
    namespace = {"torch": torch, "nn": torch.nn}
    exec(compile(code, name, "exec"), namespace)
    expected = [n for n, _ in namespace["model"].named_parameters()]
    model = _world(code).globals["model"]
    assert isinstance(model, ModuleObj) and model.fully_known
    assert [n for n, _ in model.named_parameters()] == expected


def test_unknown_layers_make_the_inventory_incomplete():
    world = _world("import timm\nmodel = nn.Sequential(timm.create_model('x'), nn.Conv2d(3, 3, 3))\n"
                   "other = nn.Transformer()")
    assert world.globals["model"].fully_known is False
    assert world.globals["other"].fully_known is False


def test_hostile_code_ends_with_unknown_values():
    world = _world(textwrap.dedent("""
        def loop(n):
            return loop(n + 1)
        deep = loop(0)
        huge = "a" * 10 ** 9
        power = 2 ** 10 ** 9
        many = [nn.Linear(2, 2) for _ in range(10 ** 9)]
        for i in range(10 ** 6):
            pass
        after = nn.Linear(2, 2)
    """))
    assert world.globals["huge"] is UNKNOWN
    assert world.globals["power"] is UNKNOWN
    assert world.globals["many"] is UNKNOWN
    assert isinstance(world.globals["after"], ModuleObj)


def test_evaluation_stops_at_the_first_backward():
    world = _world(textwrap.dedent("""
        model = nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(3):
            loss = model(torch.randn(1, 2)).sum()
            loss.backward()
            model.weight.requires_grad = False
    """))
    assert world.snapshot is not None and world.snapshot.node.lineno == 8
    assert all(p.requires_grad for p in world.snapshot.optimizers[0].params)
