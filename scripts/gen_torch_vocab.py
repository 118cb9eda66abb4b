#!/usr/bin/env python3
"""Generate gradls/analysis/torch_vocab.py from the installed torch.

The static checker never imports torch; what it knows about torch's operators is read here,
once, from the files and the objects torch ships, and committed as data:

- `torchgen/packaged/autograd/derivatives.yaml` with `native_functions.yaml` (both in the
  torch wheel), loaded through torchgen's own loader, with torchgen's own rule for which
  outputs of an operator are differentiable (`gen_differentiable_outputs`): an explicit
  `output_differentiability`, else every tensor output, or only the first one when the
  backward formulas use a single `grad`;
- which inputs and outputs each derivative saves for backward (`all_saved_inputs`,
  `all_saved_outputs`): an in-place change of a saved tensor makes backward raise;
- an operator without a derivative entry and without a composite (decomposing) kernel has no
  gradient at all, and a derivative of `zeros_like(...)` gives an all-zero gradient;
- introspection of `torch`, `torch.Tensor`, `torch.nn.functional` (which names exist where),
  `torch.return_types` (the field names of multi-output operators), and one call of each
  candidate operator on a small float tensor to read the dtype it returns (integer or bool).

Run: `python scripts/gen_torch_vocab.py` (rewrites the module), `--check` (exit 1 when the
committed module differs from what this torch generates; tests/test_torch_vocab.py runs it).
"""

from __future__ import annotations

import argparse
import os
import pprint
import sys
import warnings
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "gradls" / "analysis" / "torch_vocab.py"

# Operators that are not about values flowing through a model: backend kernels, sparse and
# quantized layouts, tensor creation from a shape (`new_zeros`, `ones_like`: no value of the
# input reaches the output, so "no gradient" is what anyone means), in-framework internals.
_EXCLUDED_PREFIXES = ("_", "cudnn_", "miopen_", "mkldnn_", "quantize", "quantized_", "q_per_",
                      "batch_norm_", "native_", "new_", "sparse_", "fbgemm_", "to_")
_EXCLUDED_SUFFIXES = ("_like", "_copy", "_indices", "_backward")
_EXCLUDED = {"detach", "empty_quantized", "int_repr", "dequantize", "indices", "values",
             "hspmm", "resize", "resize_as", "random", "linspace", "logspace", "hash_tensor",
             "empty", "full", "zeros", "ones", "lift", "lift_fresh", "alias", "is_nonzero"}


def _public(name: str) -> bool:
    return not (name.startswith(_EXCLUDED_PREFIXES) or name.endswith(_EXCLUDED_SUFFIXES)
                or name in _EXCLUDED)


def _load():
    import torchgen
    from torchgen.gen import parse_native_yaml
    from torchgen.packaged.autograd.load_derivatives import load_derivatives

    base = os.path.dirname(torchgen.__file__)
    native = os.path.join(base, "packaged", "ATen", "native", "native_functions.yaml")
    tags = os.path.join(base, "packaged", "ATen", "native", "tags.yaml")
    derivatives = os.path.join(base, "packaged", "autograd", "derivatives.yaml")
    infos, _ = load_derivatives(derivatives, native, tags)
    by_name = {str(schema.name): table for schema, table in infos.items()}
    return parse_native_yaml(native, tags).native_functions, by_name


def _differentiable_outputs(function, info) -> list[bool]:
    """torchgen's `gen_differentiable_outputs`, as a flag per output."""
    from torchgen.api.autograd import is_differentiable, uses_single_grad

    returns = list(function.func.returns)
    if info is not None and info.output_differentiability is not None:
        return list(info.output_differentiability)
    names = [r.name or f"result{i}" for i, r in enumerate(returns)]
    flags = [is_differentiable(n, r.type, info) for n, r in zip(names, returns)]
    if uses_single_grad(info):
        first = flags.index(True) if True in flags else len(flags)
        flags = [i == first for i in range(len(flags))]
    return flags


def _zero_derivative(info) -> bool:
    return bool(info.derivatives) and all(d.formula.strip().startswith("zeros_like(")
                                          for d in info.derivatives)


def _tensor_argument_names(function) -> set[str]:
    return {a.name for a in function.func.arguments.flat_all if a.type.is_tensor_like()}


def analyse():
    import torch

    functions, infos = _load()
    differentiable: dict[str, list[bool]] = defaultdict(list)   # base name -> per overload: any output differentiable
    index_outputs: dict[str, set] = defaultdict(set)            # base name -> positions never differentiable
    multi_output: dict[str, bool] = {}                          # base name -> has a multi-output overload
    single_output: set[str] = set()                             # base name has a one-tensor overload
    saves_output: dict[str, list[bool]] = defaultdict(list)
    saves_input: dict[str, list[bool]] = defaultdict(list)
    saved_arguments: dict[str, list[set]] = defaultdict(list)  # per overload: saved positional tensors
    inplace: dict[str, str] = {}
    functional: set[str] = set()                                # every tensor -> tensor operator
    formula: set[str] = set()                                   # has an overload with a gradient formula
    for function in functions:
        name = function.func.name
        base = str(name.name.base)
        if name.name.inplace:
            inplace[f"{base}_"] = base
            continue
        if function.func.is_out_fn() or name.name.dunder_method:
            continue
        returns = [r for r in function.func.returns if r.type.is_tensor_like()]
        if not returns or not _tensor_argument_names(function):
            continue
        functional.add(base)
        table = infos.get(str(name))
        info = table.get("Default") if table else None
        if info is None:
            composite = (function.has_composite_implicit_autograd_kernel
                         or function.has_composite_implicit_autograd_nested_tensor_kernel)
            differentiable[base].append(composite)  # no formula and no decomposition: no gradient
            continue
        flags = _differentiable_outputs(function, info)
        any_flow = any(flags) and not _zero_derivative(info)
        differentiable[base].append(any_flow)
        if any_flow:
            formula.add(base)
        if len(function.func.returns) > 1:
            multi_output[base] = True
            if any(flags):
                index_outputs[base] |= {i for i, flag in enumerate(flags) if not flag}
        else:
            single_output.add(base)
        if any_flow:
            saved_in = {s.nctype.name for s in info.all_saved_inputs}
            saved_out = {s.nctype.name for s in info.all_saved_outputs}
            first = function.func.returns[0].name  # the values, not a saved `indices` output
            saves_output[base].append(bool(saved_out & {"result", "result0", *((first,) if first else ())}))
            saves_input[base].append("self" in saved_in)
            positional = [a for a in function.func.arguments.flat_positional]
            saved_arguments[base].append({i for i, a in enumerate(positional)
                                          if a.type.is_tensor_like() and a.name in saved_in})

    nondiff = sorted(b for b, flags in differentiable.items() if not any(flags) and _public(b))
    # positions that are non-differentiable in every multi-output overload of a public operator
    indexed = {b: tuple(sorted(p)) for b, p in index_outputs.items() if p and _public(b)}
    field_names = {}
    for b in indexed:
        kind = getattr(torch.return_types, b, None)
        fields = getattr(kind, "__match_args__", None)  # a structseq's field names
        if isinstance(fields, tuple):
            field_names[b] = tuple(fields[i] for i in indexed[b] if i < len(fields))
    return {
        "nondiff": nondiff,
        "indexed": indexed,
        "index_fields": field_names,
        "needs_dim": sorted(b for b in indexed if b in single_output),
        "saves_output": sorted(b for b, flags in saves_output.items() if flags and all(flags) and _public(b)),
        "saves_input": sorted(b for b, flags in saves_input.items() if flags and all(flags) and _public(b)),
        # positions saved by every differentiable overload (`mm(a, b)` saves both)
        "saved_arguments": {b: tuple(sorted(set.intersection(*sets))) for b, sets in saved_arguments.items()
                            if sets and set.intersection(*sets) and _public(b)},
        "inplace": {k: v for k, v in sorted(inplace.items()) if _public(v)},
        "functional": sorted(b for b in functional if _public(b) and b not in formula),
    }


def _integer_results(torch, names) -> list[str]:
    """Operators that, called on one (or two) small float tensors, return an integer or bool tensor."""
    x = torch.linspace(-1.0, 1.0, 6).reshape(2, 3)
    integer = []
    for name in names:
        function = getattr(torch, name, None)
        if function is None:
            continue
        for args in ((x,), (x, x)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = function(*args)
            except Exception:
                continue
            first = out[0] if isinstance(out, (tuple, list)) and out else out
            if isinstance(first, torch.Tensor) and not (first.is_floating_point() or first.is_complex()):
                integer.append(name)
            break
    return sorted(integer)


def _where(torch, names) -> dict[str, list[str]]:
    import torch.nn.functional as F

    tensor, functional, special = [], [], []
    for name in names:
        if name in dir(torch.Tensor):
            tensor.append(name)
        if name in dir(F):
            functional.append(name)
        if name in dir(torch.special):
            special.append(name)
    return {"methods": tensor, "functional": functional, "special": special,
            "torch": [n for n in names if name_in(torch, n)]}


def name_in(module, name: str) -> bool:
    return name in dir(module)


def generate() -> str:
    import torch

    data = analyse()
    # an integer or bool result carries no gradient: a composite operator such as `argsort` or
    # `greater` decomposes into one that has none (probed only where no overload has a gradient
    # formula: `torch.where(c)` returns indices, `torch.where(c, a, b)` is differentiable)
    integer = _integer_results(torch, data["functional"])
    nondiff = sorted(set(data["nondiff"]) | set(integer))
    where = _where(torch, nondiff)
    functions = sorted({f"torch.{n}" for n in where["torch"]}
                       | {f"torch.nn.functional.{n}" for n in where["functional"]}
                       | {f"torch.special.{n}" for n in where["special"]})
    indexed = data["indexed"]
    saves_output, saves_input = data["saves_output"], data["saves_input"]
    version = torch.__version__.split("+")[0]
    parts = [
        '"""Torch operator vocabulary, GENERATED by scripts/gen_torch_vocab.py: do not edit.\n\n'
        f"Read from torch {version} (derivatives.yaml and native_functions.yaml through torchgen,\n"
        "and introspection of torch, torch.Tensor, torch.nn.functional, torch.return_types).\n"
        'The checker imports this module; it never imports torch.\n"""\n',
        f"TORCH_VERSION = {version!r}\n",
        "# Operators with no differentiable output in any overload (no derivative, an output marked\n"
        "# non-differentiable, a derivative that is identically zero, or an integer/bool result).",
        f"NONDIFF_OPS = frozenset({_fmt(nondiff)})\n",
        "# ... as qualified functions and as tensor methods.",
        f"NONDIFF_FUNCTIONS = frozenset({_fmt(functions)})\n",
        f"NONDIFF_METHODS = frozenset({_fmt(where['methods'])})\n",
        "# Of those, the ones that return an integer or bool tensor (read from one call each on a\n"
        "# small float tensor, or two: `torch.gt(x, x)`).",
        f"INTEGER_RESULT_OPS = frozenset({_fmt(integer)})\n",
        "# Multi-output operators: positions of the outputs that never carry gradient (indices).",
        f"INDEX_OUTPUTS = {_fmt_dict(indexed)}\n",
        "# ... the field names of those outputs (`torch.return_types`): `.indices`.",
        f"INDEX_FIELDS = {_fmt_dict(data['index_fields'])}\n",
        "# Operators that also have a one-output overload: the tuple comes only with a `dim`.",
        f"INDEX_OUTPUTS_NEED_DIM = frozenset({_fmt(data['needs_dim'])})\n",
        "# Differentiable operators whose backward reads their own output (every overload), or",
        "# their input `self`: changing that tensor in place afterwards makes backward raise.",
        f"SAVES_OUTPUT_OPS = frozenset({_fmt(saves_output)})\n",
        f"SAVES_INPUT_OPS = frozenset({_fmt(saves_input)})\n",
        "# Positional tensor arguments (0: `self`) that every overload saves for backward.",
        f"SAVED_ARGUMENTS = {_fmt_dict(data['saved_arguments'])}\n",
        "# In-place variants: `add_` -> `add`.",
        f"INPLACE_VARIANTS = {_fmt_dict(data['inplace'])}\n",
    ]
    return "\n".join(parts)


def _fmt(items) -> str:
    text = pprint.pformat(sorted(items), width=96, compact=True)
    return text


def _fmt_dict(mapping) -> str:
    return pprint.pformat(dict(sorted(mapping.items())), width=96, compact=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed module")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} differs from what torch generates: run scripts/gen_torch_vocab.py",
                  file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
