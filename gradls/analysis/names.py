"""Import aliases and the torch vocabulary the analysis recognises.

Everything here is resolved from `ast` alone: torch is never imported by the static pass.
"""

from __future__ import annotations

import ast

from . import torch_vocab as V

# Method names whose result carries no gradient, grouped by the rule that reports them.
DETACH_METHODS = {"detach", "detach_"}
ROUNDTRIP_METHODS = {"numpy", "tolist", "item"}
NONDIFF_METHODS = {
    "argmax", "argmin", "round", "floor", "ceil", "sign", "long", "int", "bool", "byte",
    "short", "char", "eq", "ne", "gt", "lt", "ge", "le", "argsort", "nonzero",
    "count_nonzero", "trunc", "fix", "round_", "floor_", "ceil_", "sign_",
}
NONDIFF_FUNCTIONS = {
    "torch.argmax", "torch.argmin", "torch.round", "torch.floor", "torch.ceil",
    "torch.sign", "torch.eq", "torch.ne", "torch.gt", "torch.lt", "torch.ge", "torch.le",
    "torch.argsort", "torch.nonzero", "torch.count_nonzero", "torch.bucketize",
    "torch.searchsorted", "torch.trunc", "torch.heaviside", "torch.nn.functional.one_hot",
    "torch.greater", "torch.less", "torch.equal",
}
# On top of the hand lists above (casts such as `.long()` and aliases no operator table names):
# every operator torch itself says has no gradient (generated: scripts/gen_torch_vocab.py).
NONDIFF_METHODS = frozenset(NONDIFF_METHODS | V.NONDIFF_METHODS)
NONDIFF_FUNCTIONS = frozenset(NONDIFF_FUNCTIONS | V.NONDIFF_FUNCTIONS)
# Multi-output operators whose outputs at these positions are integer indices: `max(x, 1)[1]`.
INDEX_OUTPUTS = V.INDEX_OUTPUTS
INDEX_FIELDS = V.INDEX_FIELDS
INDEX_OUTPUTS_NEED_DIM = V.INDEX_OUTPUTS_NEED_DIM
# Positional tensor arguments an operator keeps for backward (0: `self`): `mm(a, b)` keeps both.
SAVED_ARGUMENTS = V.SAVED_ARGUMENTS
INTEGER_DTYPES = {
    "torch.long", "torch.int", "torch.int64", "torch.int32", "torch.int16", "torch.int8",
    "torch.uint8", "torch.bool", "torch.short",
    # legacy tensor types as `.type(...)` arguments
    "torch.LongTensor", "torch.IntTensor", "torch.ShortTensor", "torch.ByteTensor", "torch.CharTensor",
    "torch.BoolTensor", "torch.cuda.LongTensor", "torch.cuda.IntTensor", "torch.cuda.ByteTensor",
    "torch.cuda.BoolTensor",
}
ROUNDTRIP_BUILTINS = {"float", "int"}
# `torch.autograd.Variable(t)` returns a new leaf without t's history in torch 2.x, like torch.tensor
VARIABLE = {"torch.autograd.Variable", "torch.autograd.variable.Variable"}
TENSOR_FACTORIES_COPY = {"torch.tensor"} | VARIABLE
TENSOR_FACTORIES_LIST = {"torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor"} | VARIABLE
NO_GRAD_CONTEXTS = {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                    "torch.autograd.grad_mode.no_grad", "torch.enable_grad"}
SET_GRAD_ENABLED = {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled"}
OPTIMIZER_PREFIXES = ("torch.optim.",)
BACKWARD_FUNCTIONS = {"torch.autograd.backward", "torch.autograd.grad"}
BACKWARD_METHODS = {"backward", "manual_backward"}
# Attributes of a tensor that hold metadata, never gradient.
METADATA_ATTRIBUTES = {
    "shape", "dtype", "device", "ndim", "grad", "requires_grad", "is_leaf", "grad_fn",
    "is_cuda", "layout", "names", "nbytes", "itemsize",
}
METADATA_METHODS = {"size", "dim", "numel", "stride", "element_size", "nelement",
                    "data_ptr", "get_device", "is_contiguous", "type", "__len__",
                    "parameters", "named_parameters", "modules", "children", "state_dict",
                    "zero_grad", "train", "eval", "register_buffer", "apply"}
# torch.nn classes without parameters: calling them passes gradient through, they are no source.
PARAMLESS_MODULE_SUFFIXES = ("Loss",)
PARAMLESS_MODULES = {
    "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Mish", "ELU", "SELU", "CELU", "Sigmoid",
    "Tanh", "Softmax", "LogSoftmax", "Softplus", "Softsign", "Hardtanh", "Hardswish",
    "Hardsigmoid", "Tanhshrink", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "AlphaDropout", "Identity", "Flatten", "Unflatten", "MaxPool1d", "MaxPool2d", "MaxPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "Upsample", "PixelShuffle", "PixelUnshuffle", "CosineSimilarity", "PairwiseDistance",
    "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
    "ChannelShuffle", "Threshold", "LogSigmoid", "Softmin", "Softmax2d", "GLU",
}
# Functions whose output autograd saves for backward: modifying it in place breaks backward.
SAVES_OUTPUT_FUNCTIONS = {
    "torch.sigmoid", "torch.tanh", "torch.exp", "torch.softmax", "torch.log_softmax",
    "torch.relu", "torch.sqrt", "torch.rsqrt", "torch.nn.functional.softmax",
    "torch.nn.functional.log_softmax", "torch.nn.functional.relu", "torch.nn.functional.sigmoid",
    "torch.nn.functional.tanh", "torch.special.expit", "torch.exp2", "torch.nn.functional.elu",
}
SAVES_OUTPUT_METHODS = {"sigmoid", "tanh", "exp", "softmax", "log_softmax", "relu", "sqrt",
                        "rsqrt", "exp2"} | V.SAVES_OUTPUT_OPS
INPLACE_EXEMPT = {"requires_grad_", "share_memory_", "retain_grad", "zero_", "fill_", "detach_",
                  "copy_", "uniform_", "normal_", "random_", "bernoulli_", "exponential_",
                  "geometric_", "cauchy_", "log_normal_", "set_", "resize_", "unsqueeze_",
                  "squeeze_", "t_", "transpose_", "as_strided_", "record_stream"}
INPLACE_ARITHMETIC = {"add_", "sub_", "mul_", "div_", "pow_", "clamp_", "clamp_min_",
                      "clamp_max_", "addcmul_", "addcdiv_", "lerp_", "neg_", "abs_", "exp_",
                      "log_", "sqrt_", "sigmoid_", "tanh_", "relu_", "masked_fill_",
                      "index_add_", "scatter_", "scatter_add_", "index_fill_", "fmod_",
                      "remainder_", "reciprocal_", "square_", "true_divide_", "floor_divide_",
                      "clip_", "copy_", "fill_", "zero_", "mul", "masked_scatter_", "put_",
                      "index_put_", "index_copy_", "addmm_", "baddbmm_", "sin_", "cos_"} - {"mul"}
# every in-place variant torch has, less the ones that change no values a graph saved (views,
# samplers, `requires_grad_`: INPLACE_EXEMPT)
INPLACE_ARITHMETIC = frozenset(INPLACE_ARITHMETIC | (set(V.INPLACE_VARIANTS) - INPLACE_EXEMPT - {
    "swapaxes_", "swapdims_", "set_", "resize_as_sparse_", "copy_sparse_to_sparse_", "exponential_",
    "cauchy_", "log_normal_", "geometric_", "bernoulli_", "normal_", "uniform_", "zero_", "fill_"}))


class ImportMap:
    """Maps local names to dotted qualified names (`T` -> `torch`, `F` -> `torch.nn.functional`)."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.star_modules: list[str] = []  # `from .losses import *`: resolved by the cross-module pass

    @classmethod
    def from_module(cls, tree: ast.Module) -> "ImportMap":
        from .walk import statements

        imports = cls()
        for node in statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        imports.aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and (node.module or node.level):
                module = "." * node.level + (node.module or "")
                joiner = "." if node.module else ""
                for alias in node.names:
                    if alias.name != "*":
                        imports.aliases[alias.asname or alias.name] = f"{module}{joiner}{alias.name}"
                    else:
                        imports.star_modules.append(module)
        return imports

    def qualify(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to, resolved through imports, or None."""
        head = node
        while type(head) is ast.Attribute:  # find the head first: most heads are not imports
            head = head.value
        if type(head) is not ast.Name:
            return None
        imported = self.aliases.get(head.id)
        if imported is None:
            return None
        parts: list[str] = []
        while type(node) is ast.Attribute:
            parts.append(node.attr)
            node = node.value
        parts.append(imported)
        return _canonical(".".join(reversed(parts)))


_CANONICAL_PREFIXES = (
    ("torch.nn.modules.loss.", "torch.nn."),
    ("torch.autograd.grad_mode.", "torch."),
    ("torch.functional.", "torch."),
)


_canonical_names: dict[str, str] = {}


def _canonical(name: str) -> str:
    known = _canonical_names.get(name)
    if known is None:
        known = _canonical_uncached(name)
        if len(_canonical_names) < 100_000:  # bounded: a long server session sees many names
            _canonical_names[name] = known
    return known


def _canonical_uncached(name: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if name.startswith(prefix):
            return replacement + name[len(prefix):]
    if name in ("torch.autograd.no_grad", "torch.autograd.set_grad_enabled"):
        return "torch." + name.rsplit(".", 1)[1]
    return name


def expression_text(node: ast.AST) -> str:
    """`node` as written (normalised): `ast.unparse`, with a fast path for names and attributes."""
    if type(node) is ast.Name:
        return node.id
    if type(node) is ast.Attribute and type(node.value) in (ast.Name, ast.Attribute):
        return f"{expression_text(node.value)}.{node.attr}"
    return ast.unparse(node)


def dotted_text(node: ast.AST) -> str | None:
    """`self.encoder`, `model[0]`, `x` as written (normalised), or None for other shapes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_text(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript):
        base = dotted_text(node.value)
        if base is None:
            return None
        index = node.slice
        if isinstance(index, ast.Tuple):
            return f"{base}[{', '.join(ast.unparse(e) for e in index.elts)}]"
        return f"{base}[{ast.unparse(index)}]"
    return None


