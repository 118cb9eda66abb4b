"""The rule catalog. One rule per module; this list is the registry every front end uses."""

from __future__ import annotations

from .base import Rule, RuleContext
from .grd101_misplaced_detach import MisplacedDetach
from .grd102_numpy_roundtrip import NumpyRoundTrip
from .grd103_tensor_from_list import TensorFromList
from .grd104_copy_construct import CopyConstruct
from .grd105_nondifferentiable import NonDifferentiable
from .grd106_no_grad_loss import NoGradLoss
from .grd107_nonleaf_parameter import NonLeafParameter
from .grd108_inplace_on_leaf import InplaceOnLeaf
from .grd109_inplace_on_saved import InplaceOnSaved
from .grd110_optimizer_misuse import OptimizerMisuse
from .grd111_loss_ignores_target import LossIgnoresTarget
from .grd112_loss_accumulated import LossAccumulated
from .grd113_nonscalar_backward import NonScalarBackward
from .grd114_unregistered_submodule import UnregisteredSubmodule
from .grd115_module_created_in_forward import ModuleCreatedInForward
from .grd116_module_requires_grad_attribute import ModuleRequiresGradAttribute
from .grd117_scheduler_instead_of_step import SchedulerInsteadOfStep
from .grd118_optimizer_trains_nothing import OptimizerTrainsNothing
from .grd119_integer_parameter import IntegerParameter
from .grd120_softmax_over_one_unit import SoftmaxOverOneUnit
from .grd121_backward_through_freed_graph import BackwardThroughFreedGraph
from .grd122_model_output_ignored import ModelOutputIgnored
from .grd123_buffer_as_learned_weight import BufferAsLearnedWeight
from .grd124_manual_update_rebinds_leaf import ManualUpdateRebindsLeaf
from .grd125_autograd_function_none_gradient import AutogradFunctionNoneGradient

SYNTAX_ERROR_CODE = "GRD000"


class Registry:
    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.by_code = {rule.code: rule for rule in rules}

    def __iter__(self):
        return iter(self.rules)

    def get(self, code: str) -> Rule | None:
        return self.by_code.get(code.upper())


registry = Registry([
    MisplacedDetach(), NumpyRoundTrip(), TensorFromList(), CopyConstruct(), NonDifferentiable(),
    NoGradLoss(), NonLeafParameter(), InplaceOnLeaf(), InplaceOnSaved(), OptimizerMisuse(),
    LossIgnoresTarget(), LossAccumulated(), NonScalarBackward(), UnregisteredSubmodule(),
    ModuleCreatedInForward(), ModuleRequiresGradAttribute(), SchedulerInsteadOfStep(),
    OptimizerTrainsNothing(), IntegerParameter(), SoftmaxOverOneUnit(),
    BackwardThroughFreedGraph(), ModelOutputIgnored(), BufferAsLearnedWeight(),
    ManualUpdateRebindsLeaf(), AutogradFunctionNoneGradient(),
])

__all__ = ["Rule", "RuleContext", "registry", "SYNTAX_ERROR_CODE"]
