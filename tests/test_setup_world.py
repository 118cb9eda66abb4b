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


# ----- tensors requiring grad followed to the first backward (copies: GRD103/GRD104) ---------

_HOLDER = """
import torch

class Holder:
    def __init__(self, value):
        self.value = value

    def curve(self):
        return torch.tensor([0.0, self.value, 0.0])

"""


def _copies(code: str) -> list:
    world = _world(_HOLDER + code)
    return [(e.node.lineno, e.detail["total"]) for e in world.events if e.kind == "gradient-copy"]


def test_a_copy_of_a_tensor_requiring_grad_held_by_an_object_reaches_the_backward():
    got = _copies("w = torch.tensor(1.0, requires_grad=True)\nh = Holder(w)\nloss = (h.curve() ** 2).sum()\nloss.backward()\n")
    assert got == [(11, True)]  # `_world` puts two import lines first


def test_a_copy_is_partial_when_another_tensor_still_trains():
    code = ("w = torch.tensor(1.0, requires_grad=True)\nv = torch.randn(3, requires_grad=True)\n"
            "loss = (Holder(w).curve() * v).sum()\nloss.backward()\n")
    assert _copies(code) == [(11, False)]


@pytest.mark.parametrize("code", [
    # the object holds a float, or a tensor that requires no grad
    "h = Holder(0.5)\nloss = h.curve().sum()\nloss.backward()\n",
    "h = Holder(torch.tensor(0.5))\nloss = h.curve().sum()\nloss.backward()\n",
    # the copy is only printed; the loss reaches the tensor another way
    "w = torch.tensor(1.0, requires_grad=True)\nprint(Holder(w).curve())\nloss = w * 2\nloss.backward()\n",
    # the tensor reaches the loss besides the copy
    "w = torch.tensor(1.0, requires_grad=True)\nloss = Holder(w).curve().sum() + w\nloss.backward()\n",
    # a branch the evaluation cannot decide may add to the loss
    "import sys\nw = torch.tensor(1.0, requires_grad=True)\nloss = Holder(w).curve().sum()\n"
    "if sys.argv:\n    loss = loss + w\nloss.backward()\n",
    # changed in place: its history may grow unseen
    "w = torch.tensor(1.0, requires_grad=True)\nloss = Holder(w).curve().sum()\nloss.add_(w)\nloss.backward()\n",
    # copied under no_grad: no gradient was meant to flow
    "w = torch.tensor(1.0, requires_grad=True)\nwith torch.no_grad():\n    c = Holder(w).curve()\n"
    "loss = c.sum()\nloss.backward()\n",
    # a value the evaluation does not know (a library call) on the way
    "import scipy\nw = torch.tensor(1.0, requires_grad=True)\nloss = scipy.f(Holder(w).curve())\nloss.backward()\n",
])
def test_no_copy_is_reported_where_nothing_requiring_grad_is_lost_for_sure(code):
    assert _copies(code) == []


def test_a_copy_is_followed_through_devices_sums_and_options():
    code = ("import sys\ndevice = torch.device('cuda' if sys.argv else 'cpu')\n"
            "w = torch.tensor(1.0, requires_grad=True)\nterms = [Holder(w).curve().to(device).sum(dim=0) for _ in range(2)]\n"
            "loss = torch.clamp(sum(terms), min=0.0, max=10.0)\nloss.backward()\n")
    assert _copies(code) == [(11, True)]
    unknown_bound = code.replace("max=10.0", "max=sys.maxsize")  # it could be a tensor requiring grad
    assert _copies(unknown_bound) == []


def test_a_single_tensor_copy_is_a_copy_construct():
    code = ("class Scaled(Holder):\n    def curve(self):\n        return torch.tensor(self.value) * 2\n"
            "w = torch.tensor(1.0, requires_grad=True)\nloss = Scaled(w).curve()\nloss.backward()\n")
    world = _world(_HOLDER + code)
    assert [(e.node.lineno, e.detail["list"]) for e in world.events if e.kind == "gradient-copy"] == [(15, False)]


def test_command_line_options_read_as_their_defaults_when_run_without_arguments():
    """What `python script.py` parses: the options' defaults, as argparse itself gives them;
    an option the script cannot run without, or whose default `type=` converts, is unknown."""
    code = textwrap.dedent("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--tied", action="store_true")
        parser.add_argument("--no-decay", dest="decay", action="store_false")
        group = parser.add_argument_group("model")
        group.add_argument("-w", "--hidden-width", type=int, default=8)
        parser.add_argument("--steps", type=int, default="3")
        parser.add_argument("data")
        parser.set_defaults(seed=7)
        args, rest = parser.parse_known_args()
        args.lr = args.lr * 2
        explicit = parser.parse_args(["--tied"])
    """)
    import argparse

    world = _world(code)
    namespace = world.globals["args"].values
    expected = argparse.ArgumentParser()
    expected.add_argument("--lr", type=float, default=0.1)
    expected.add_argument("--tied", action="store_true")
    expected.add_argument("--no-decay", dest="decay", action="store_false")
    expected.add_argument("-w", "--hidden-width", type=int, default=8)
    truth = vars(expected.parse_args([]))
    assert {k: namespace[k] for k in ("tied", "decay", "hidden_width")} == \
        {k: truth[k] for k in ("tied", "decay", "hidden_width")}
    assert namespace["lr"] == 0.2 and namespace["seed"] == 7 and world.globals["rest"] == []
    assert namespace["steps"] is UNKNOWN and namespace["data"] is UNKNOWN
    assert world.globals["explicit"] is UNKNOWN


def test_isinstance_and_static_methods_are_decided_on_objects_the_script_made():
    world = _world(textwrap.dedent("""
        class Helper:
            @staticmethod
            def listed(nets, flag=False):
                return nets if isinstance(nets, (list, tuple)) else [nets]

        net = nn.Linear(2, 2)
        one = Helper().listed(net)
        many = Helper().listed([net, net])
        odd = isinstance(net, nn.Module)
    """))
    assert len(world.globals["one"]) == 1 and isinstance(world.globals["one"][0], ModuleObj)
    assert len(world.globals["many"]) == 2
    assert world.globals["odd"] is UNKNOWN
