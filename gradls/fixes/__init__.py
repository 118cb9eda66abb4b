"""Quick fixes: applying them to a fixed point, the CLI, the suppression edit.

For the language server and other front ends:

* `apply_edits(text, edits) -> str`
* `apply_fixes(text, findings, unsafe=False) -> RoundResult` (one round, no overlaps)
* `fix_source(text, path, settings, unsafe=False) -> FixResult` (to a fixed point)
* `suppression_edit(source, finding) -> Edit | None`
"""

from .apply import FixResult, OverlappingEdits, RoundResult, apply_edits, apply_fixes, fix_source
from .suppress import suppression_edit

__all__ = ["FixResult", "OverlappingEdits", "RoundResult", "apply_edits", "apply_fixes", "fix_source",
           "suppression_edit"]
