"""Branches decided by whether a value is a Tensor: `isinstance(v, torch.Tensor)`.

`return_tensor = isinstance(input_seqs, torch.Tensor)` at the top of a `forward`, then
`x = self.embed(input_seqs)`, then `if return_tensor: outputs = outputs.data`: the embedding
call only succeeds for a Tensor, and nothing rebinds `input_seqs` in between, so the test is
true wherever the `if` runs. The interpreter keeps, per local name, what is known of its type:
- from how it was made: a list, tuple, dict, set or literal is no Tensor; a torch factory
  (`torch.randn`, `torch.tensor`) or a layer taking tensors (`nn.Linear`) makes one;
- from a use that only succeeds for a Tensor: passed as the input of a layer that requires
  one (an Embedding, Linear or convolution: an LSTM also takes a PackedSequence) or of a
  torch function that does (`torch.tanh(v)`), in a statement that runs whenever the test
  does (not behind `and`/`or`, a conditional expression or a comprehension).
A fact holds until the name is bound again; where paths join, only facts of both remain.
A call of a function of the file that tests a parameter's type passes what it knows of the
argument (IS_TENSOR / NOT_TENSOR, a specialization fact like a literal: see
`FileAnalysis.specialized_summary`). Anything else is unknown and the `if` runs both ways.
"""

from __future__ import annotations

import ast
from .walk import cached_walk

TENSOR_TYPES = {"torch.Tensor", "torch.autograd.Variable", "torch.autograd.variable.Variable"}
TENSOR_TESTS = {"torch.is_tensor"}

# torch.nn layers whose forward raises for anything but a Tensor input
TENSOR_INPUT_LAYERS = {"Embedding", "EmbeddingBag", "Linear", "Bilinear", "Conv1d", "Conv2d", "Conv3d",
                       "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}
# torch functions whose first argument must be a Tensor (a list or a number raises)
TENSOR_INPUT_FUNCTIONS = {
    "torch.tanh", "torch.sigmoid", "torch.exp", "torch.log", "torch.relu", "torch.matmul",
    "torch.nn.functional.relu", "torch.nn.functional.linear", "torch.nn.functional.embedding",
    "torch.nn.functional.conv1d", "torch.nn.functional.conv2d", "torch.nn.functional.conv3d",
    "torch.nn.functional.softmax", "torch.nn.functional.log_softmax",
}
# torch functions that always return a Tensor
TENSOR_MAKERS = {
    "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.randn", "torch.rand", "torch.randint",
    "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.arange", "torch.linspace", "torch.eye",
    "torch.cat", "torch.stack", "torch.zeros_like", "torch.ones_like", "torch.randn_like", "torch.rand_like",
    "torch.empty_like", "torch.full_like",
}
_NOT_TENSOR_NODES = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp,
                     ast.GeneratorExp, ast.JoinedStr, ast.Constant)


def torch_layer_of(tag: str) -> str | None:
    """The layer that takes a module's input, from its `torch:` tag (`torch:Embedding`,
    `torch:Sequential:Linear>ReLU`)."""
    if not tag.startswith("torch:"):
        return None
    cls = tag[len("torch:"):].partition(">")[0]
    if cls.startswith("Sequential:"):
        cls = cls[len("Sequential:"):]
    return cls or None


def takes_tensor_input(tags) -> bool:
    return any(torch_layer_of(tag) in TENSOR_INPUT_LAYERS for tag in tags)


def made_type(value: ast.AST, imports, module_tags) -> bool | None:
    """True if `value` makes a Tensor, False if it makes something else, None if unknown.
    `module_tags(func)`: the tags of the module a call calls (empty when it is none)."""
    if isinstance(value, _NOT_TENSOR_NODES):
        return False
    if isinstance(value, ast.Call):
        if imports.qualify(value.func) in TENSOR_MAKERS:
            return True
        if takes_tensor_input(module_tags(value.func)):
            return True
    return None


def tensor_argument(call: ast.Call, imports, module_tags) -> str | None:
    """The local name a call requires to be a Tensor (its first positional argument), or None."""
    if not call.args or not isinstance(call.args[0], ast.Name):
        return None
    if imports.qualify(call.func) in TENSOR_INPUT_FUNCTIONS or takes_tensor_input(module_tags(call.func)):
        return call.args[0].id
    return None


def type_test(node: ast.AST, imports) -> str | None:
    """The name `isinstance(name, torch.Tensor)` / `torch.is_tensor(name)` tests, or None."""
    if not isinstance(node, ast.Call) or node.keywords or not node.args or not isinstance(node.args[0], ast.Name):
        return None
    if isinstance(node.func, ast.Name) and node.func.id == "isinstance" and len(node.args) == 2:
        return node.args[0].id if imports.qualify(node.args[1]) in TENSOR_TYPES else None
    if len(node.args) == 1 and imports.qualify(node.func) in TENSOR_TESTS:
        return node.args[0].id
    return None


def tested_name(node: ast.AST, imports) -> str | None:
    """The name a type test (possibly negated: `not isinstance(x, torch.Tensor)`) is about."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        node = node.operand
    return type_test(node, imports)


def decide(test: ast.AST, imports, types: dict, tests: dict) -> bool | None:
    """The truth of an `if` test by the types known (`types`: name -> is a Tensor; `tests`:
    name -> the type test it holds), or None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = decide(test.operand, imports, types, tests)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id in tests:
        return decide(tests[test.id][0], imports, types, {})
    subject = type_test(test, imports)
    return types.get(subject) if subject is not None else None


class TypeFacts:
    """What is known of local names' types at one point of the walk (see the module docstring)."""

    __slots__ = ("types", "tests")

    def __init__(self, types: dict | None = None, tests: dict | None = None) -> None:
        self.types: dict[str, bool] = types or {}       # name -> is a Tensor
        self.tests: dict[str, tuple] = tests or {}      # name -> (the type test it holds, its subject)

    def copy(self) -> "TypeFacts":
        return TypeFacts(dict(self.types), dict(self.tests))

    def join(self, other: "TypeFacts") -> "TypeFacts":
        """What holds on both paths."""
        types = {k: v for k, v in self.types.items() if other.types.get(k) is v}
        tests = {k: v for k, v in self.tests.items() if other.tests.get(k) is v}
        return TypeFacts(types, tests)

    def rebound(self, name: str) -> None:
        """`name` holds a new value: what was known of it, or of a test over it, is gone."""
        self.types.pop(name, None)
        self.tests.pop(name, None)
        for flag in [k for k, (_, subject) in self.tests.items() if subject == name]:
            del self.tests[flag]


# specialization facts (gradls/analysis/calls.py `_literal_arguments`): what the caller passes
IS_TENSOR = "<a tensor>"
NOT_TENSOR = "<not a tensor>"
TYPE_FACTS = (IS_TENSOR, NOT_TENSOR)


def type_tested_names(function: ast.AST, imports) -> set:
    """The names `function` tests the type of (`isinstance(x, torch.Tensor)`)."""
    return {name for node in cached_walk(function) if isinstance(node, ast.Call)
            for name in [type_test(node, imports)] if name is not None}
