"""Answer "what is `losses.feature_loss`?" for the engine, with jedi, once per file version.

`ProjectResolver.resolve(qualified, importer)` (the `Resolver` protocol of
gradls/analysis/external.py) answers with an ExternalFunction, ExternalClass, ExternalInstance
(`model = Net()`, `criterion = nn.MSELoss()`, `loss_fn = functools.partial(...)` bound once at
top level) or ExternalMember (`models.model.parameters`):

1. a fast refusal: the top-level module of an absolute name must be a file or package of the
   project (next to the importer, in one of its parent folders up to the root, in the root
   or in `root/src`); torch, numpy and everything in site-packages are never looked at;
2. jedi finds the defining file: a synthesized `from M import N` is parsed as if it were
   written in the importer (so relative imports, script folders and the project's
   `sys.path` work) and `goto(follow_imports=True)` follows re-exports
   (`from .losses import *`, `from .core import dice as dice`) and aliases to the `def`
   or `class`. A bare name used in a file with star imports is looked up through those;
3. the defining file is analysed once (`FileAnalysis.build` with this same resolver, so
   chains of files work; cycles are cut) and `export_one` turns each name an importer asks
   for into what the importer consumes (`Exports`: the others are never analysed).

Caches: the definitions of a file are kept per (content hash, symbol), in memory and on disk
(`.gradls_cache/crossmodule-*.pickle`, keyed by gradls' version and code fingerprint and
jedi's version); jedi's answers are kept per (importer folder, name) together with the content
hashes of the files they depend on (the module named in the import, its packages'
`__init__.py` and the defining file), and reused only while those hashes still match.
For `gradls check`'s own result cache, `cache_key(path, key)` folds the hashes of every file
an importer's findings depend on into its key.

Jedi is not thread-safe: every public method holds one lock.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import threading
import time
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from ..analysis.external import (
    SetupRootCause, setup_root_causes,
    ExternalClass, ExternalFunction, ExternalInstance, ExternalMember, single_assignments,
)
from ..analysis.source import SourceFile
from ..analysis.walk import cached_walk, guarded_definitions
from .exports import Exports
from .library import infer_result, is_library_top, jedi_project, module_found

SKIP_TOP = frozenset({
    "torch", "numpy", "np", "math", "scipy", "os", "sys", "typing", "functools", "itertools",
    "collections", "copy", "random", "re", "json", "abc", "dataclasses", "enum", "logging",
    "warnings", "pathlib", "time", "torchvision", "einops", "kornia", "pytorch_lightning",
    "lightning", "transformers", "timm", "tqdm", "pandas", "sklearn", "__future__",
})


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class ProjectResolver:
    """Cross-module facts for one project root (a jedi Project rooted there)."""

    def __init__(self, root: str | os.PathLike, store=None, overlay: dict[str, str] | None = None,
                 share_analyses: bool = False, files_stable: bool = False) -> None:
        self.root = Path(root).resolve()
        # the files do not change while this resolver lives (`gradls check` without fixes): a
        # file hashed once is not looked at on disk again (a project's files are asked about
        # thousands of times a run)
        self.files_stable = files_stable
        # one pass over a tree (`gradls check`): an export analysis is handed to the file's own
        # check and a checked file's analysis kept for its importers (a server keeps neither)
        self.share_analyses = share_analyses
        from .store import Store

        self.store = store if store is not None else Store(None)  # Store(None): memory only
        self._lock = threading.RLock()
        self._project = None                   # jedi.Project, created on first need
        self._hashes: dict[str, tuple[tuple[int, int], str]] = {}   # path -> ((mtime, size), hash)
        self._texts: dict[str, str] = {}       # path -> text of the hashed version
        self._by_qualified: dict[str, dict] = {}         # exported qualified name -> {file: its name there}
        self._indexed: dict[str, set[str]] = {}          # file -> the qualified names its exports indexed
        self._in_progress: set[str] = set()    # files being analysed (cycle guard)
        self._exporting: set[tuple[str, str]] = set()  # (file, name) exports being analysed (cycle guard)
        self._export_analyses: dict[str, tuple] = {}  # path -> (hash, FileAnalysis) exports are read from
        self._deps: dict[str, set[str]] = {}   # importer path -> files its findings depend on
        self._file_deps: dict[str, set[str]] = {}  # analysed file -> files its exports depend on
        self._exists: dict[tuple[str, str], bool] = {}
        self._dirs: dict[str, list[str]] = {}  # importer folder -> where its absolute imports are looked for
        self._facts: dict[str, tuple] = {}  # path -> (hash, (binding lines, star-imported modules))
        self._trees: dict[str, tuple] = {}  # path -> (hash, syntax tree, text): the last few parsed, parsed once
        # path -> (text, FileAnalysis): an export analysis the file's own check takes over once
        self._handed: dict[str, tuple] = {}
        self._checked_analyses: dict[str, tuple] = {}  # path -> (text, FileAnalysis) of its own check
        self._override_hashes: dict[str, tuple] = {}  # path -> (overlay text, its hash)
        self._importable_tops: dict[str, bool] = {}  # installed top-level module -> jedi finds it
        self.overrides: dict[str, str] = _absolute_keys(overlay or {})  # path -> text read instead of the disk
        self._library: dict[str, tuple] = {}  # qualified -> (kind, library files) of installed libraries
        # training script -> (its hash, {dependency: hash}, its Confirmations): root causes it shows
        self._confirmed: dict[str, tuple] = {}
        self._listing: tuple[float, list[str]] | None = None  # (when, the project's .py files)
        self._trainer_stamps: dict[str, tuple] = {}  # path -> ((mtime, size), calls backward)
        self._checked: dict[str, tuple] = {}  # training script -> (overlay, when its entry was validated)
        # (path, class name) -> ({dependency: hash}, TrainedLayers): what the scripts train of it
        self._class_training: dict[tuple, tuple] = {}
        self._training_asked: set[tuple] = set()   # (path, class name) being looked for now
        # (path, class name, position, keyword) -> ({dependency: hash}, class tags or None)
        self._constructed: dict[tuple, tuple] = {}
        self._all_files: tuple[float, list[str]] | None = None  # (when, every .py file of the project)
        self.claimed: set[str] = set()
        # (path, hash, class, method, attribute facts) -> ExternalFunction or None: a base class's
        # method summarised for a subclass of another file (`subclass_method`)
        self._subclass_methods: dict[tuple, object] = {}
        # while `gradls check` checks the training scripts first: those that asked for their own
        # root causes (asked again once all of them are known)
        self.deferred: set[str] | None = None  # files that were shown a root cause (the server re-checks them)
        self.stats = {"resolve": 0, "refused": 0, "jedi": 0, "direct": 0, "jedi_cached": 0, "analysed": 0,
                      "found": 0, "export_cached": 0, "library": 0, "library_cached": 0,
                      "trainers": 0, "exported": 0, "members": 0}

    # ----- the Resolver protocol ---------------------------------------------------------

    def resolve(self, qualified: str, importer: str):
        with self._lock:
            self.stats["resolve"] += 1
            importer = os.path.abspath(importer)
            if "." not in qualified.lstrip(".") and not qualified.startswith("."):
                return self._resolve_bare(qualified, importer)
            known = list(self._by_qualified.get(qualified, {}))  # the files exporting it
            if not qualified.startswith(".") and not self._in_project(qualified.split(".")[0], importer) \
                    and not known:
                self.stats["refused"] += 1
                return None
            definition = self._resolve_member(qualified, importer) or self._resolve_dotted(qualified, importer) \
                or self._resolve_class_function(qualified, importer)
            if definition is None and len(known) == 1 and not self._module_files(importer, qualified.rpartition(".")[0]):
                # `extclass:pkg.models.Net` handed back by the engine: the name this pass
                # exported, even where the importer could not spell the import that way (where
                # it can, its own `pkg/models.py` decides: two folders may each have a utils.py)
                definition = self._indexed_definition(qualified, known[0])
                if definition is not None:
                    self._note_dep(importer, str(self.root / definition.path))
            return definition

    def _indexed_definition(self, qualified: str, path: str):
        """The definition `path` exports as `qualified` in its current version (re-analysed
        if the file changed since it was indexed), or None where it no longer does."""
        exports = self._exports_of(path)
        name = self._by_qualified.get(qualified, {}).get(path)
        return exports.get(name) if name is not None else None

    def library_kind(self, qualified: str, importer: str) -> str | None:
        """What calling `qualified`, a name of an installed library (not of this project), returns:
        "module", "ndarray", "number", "list" or None (see gradls/crossmodule/library.py). Kept per name,
        in memory and in the store, while the library files jedi answered from are unchanged."""
        top = qualified.split(".")[0]
        if not top or not is_library_top(top):
            return None
        with self._lock:
            importer = os.path.abspath(importer)
            if self._is_project_file(top, importer):  # timm's own files are not "a library" to timm
                return None
            known = self._library.get(qualified)
            if known is None:
                known = self._library[qualified] = self._library_answer(qualified, importer)
            kind, files = known
            for path in files:
                self._note_dep(importer, path)
            return kind

    def _library_answer(self, qualified: str, importer: str) -> tuple[str | None, tuple[str, ...]]:
        key = f"{self.root}|library|{qualified}"
        hit = self.store.location(key, self.file_hash)
        if hit is not None:
            self.stats["library_cached"] += 1
            return hit or (None, ())
        if self._project is None:
            self._project = jedi_project(self.root)
        if not self._importable(qualified.split(".")[0], importer):
            kind, files = None, set()  # what jedi answers for every name of a module it cannot find
        else:
            self.stats["library"] += 1
            kind, files = infer_result(self._project, qualified, importer)
        answer = (kind, tuple(sorted(files)))
        self.store.set_location(key, answer, {f: self.file_hash(f) for f in files})
        return answer

    def _importable(self, top: str, importer: str) -> bool:
        """Does jedi find the installed module `top` at all? Asked once per name, not once per
        call of the library (most libraries a big project mentions are not installed). Where
        it looks does not depend on the importer: the folders above it are the project's, where
        `top` is no file (else it would not be a library); only a buildout script could add
        paths per importer, so an importer below a buildout.cfg, or one near a `top.pyi` or
        compiled `top.*.so` of the project, asks for itself."""
        if _below_buildout(importer) or any(_other_module_file(folder, top) for folder in self._search_dirs(importer)):
            return True
        known = self._importable_tops.get(top)
        if known is None:
            self.stats["library_tops"] = self.stats.get("library_tops", 0) + 1
            known = self._importable_tops[top] = module_found(self._project, top, importer)
        return known

    @contextmanager
    def overlaid(self, texts: dict[str, str]):
        """Within the block, `texts` (path -> text: the editor's unsaved buffers) are read
        instead of the files on disk; every answer is keyed by content, so nothing learnt
        from an overlay is taken for the file on disk later. Jedi still reads the disk, so
        only a re-export added in an unsaved buffer is missed."""
        with self._lock:
            saved = self.overrides
            self.overrides = {**saved, **_absolute_keys(texts)}
            try:
                yield self
            finally:
                self.overrides = saved

    # ----- root causes: breaks of a file that a training script's backward reaches ----------

    def confirmations_for(self, path: str, text: str | None = None) -> list:
        """The `Confirmation`s (gradls/analysis/external.py) of breaks in the file at `path`: its
        exported functions and methods cut, somewhere in the project, what a training script
        backpropagates. Only files whose exports hold a break of their own are looked at, and
        each training script is analysed once per version (of it and of what it imports)."""
        with self._lock:
            path = os.path.abspath(path)
            if path in self._in_progress or not self._inside_project(path):
                return []
            if text is not None and self.file_hash(path) != content_hash(text.encode("utf-8", "surrogatepass")):
                return []  # the text checked is not the one the project's files see
            if self.deferred is not None and text is not None and _trains(text):
                self.deferred.add(path)  # `gradls check` asks again at the end
                return []
            shown = self.display(path)
            found, holds = [], None
            home = self._home(path)
            anywhere = home == self.root or home == self.root / "src"
            below = str(home).rstrip(os.sep) + os.sep
            for trainer in self._training_files():
                if trainer == path or not (anywhere or trainer.startswith(below)):
                    continue  # its top-level module cannot be imported from there
                confirmed, deps = self._confirmations_of(trainer)
                if path not in deps:
                    continue
                setup = [c for c in confirmed if c.path == shown and isinstance(c, SetupRootCause)]
                if setup:
                    self._note_dep(path, trainer)
                    found.extend(setup)
                if len(setup) == sum(1 for c in confirmed if c.path == shown):
                    continue
                if holds is None:  # the exports are cached: the training script's analysis read them
                    holds = _exports_hold_breaks(self._exports_of(path), shown)
                if not holds:
                    return []  # (a file whose exports hold no break of its own is no root cause)
                self._note_dep(path, trainer)  # its findings now depend on the training script
                found.extend(c for c in confirmed if c.path == shown and not isinstance(c, SetupRootCause))
            if found:
                self.claimed.add(path)
            return found

    def setup_module(self, module: str, importer: str, trainer: str):
        """(path, text, tree) of the project module `module` as the file at `importer` imports
        it, for the setup evaluation of the training script at `trainer` (gradls/analysis/
        objects.py): parsed once per version; the training script's findings now depend on it."""
        with self._lock:
            top = module.lstrip(".").split(".")[0]
            if not module.startswith(".") and not self._in_project(top, importer):
                return None
            files = self._module_files(importer, module)
            if not files or not self._inside_project(files[-1]):
                return None
            path = files[-1]
            digest = self.file_hash(path)
            text = self._text(path)
            if digest is None or text is None:
                return None
            tree = self._tree(path, digest, text)
            if tree is None:
                return None
            deps = self._deps.setdefault(os.path.abspath(trainer), set())
            deps.update(files)
            return path, text, tree

    def class_training(self, path: str, class_name: str) -> tuple:
        """The `TrainedLayers` (gradls/analysis/training_evidence.py) of the module class
        `class_name` of the file at `path`: what the project's scripts naming the class train of
        an instance of it when their first backward runs. Kept while those files are unchanged;
        the findings of `path` depend on them."""
        with self._lock:
            path = os.path.abspath(path)
            key = (path, class_name)
            known = self._class_training.get(key)
            if known is None or any(self.file_hash(d) != h for d, h in known[0].items()):
                if key in self._training_asked:
                    return ()
                self._training_asked.add(key)
                try:
                    found, deps = self._trained_by_scripts(path, class_name)
                finally:
                    self._training_asked.discard(key)
                known = self._class_training[key] = ({d: self.file_hash(d) for d in deps}, found)
            for dep in known[0]:
                self._note_dep(path, dep)
            return known[1]

    def constructed_arguments(self, path: str, class_name: str, position: int, keyword: str):
        """What the project's other files pass to `class_name(...)`, a class of the file at
        `path`, at `position` or as `keyword=`: {"class:Name"} (a module class of that file) or
        {"extclass:pkg.Name"} (another file's) for `Wrapper(Block(...), ...)`, also through a name
        bound once (`encoder = MODELS[name]()` ... `Trainer(encoder)`, at top level or in the
        function making the call). None where some call passes anything else (`*args`) or no
        other file builds the class. Kept while those files are unchanged; the findings of
        `path` depend on them."""
        return self._passed_elsewhere(path, class_name, position, keyword, through_names=True, optimizers=False)

    def called_arguments(self, path: str, function_name: str, position: int, keyword: str):
        """What the project's other files pass to `function_name(...)`, a top-level function of
        the file at `path`, at `position` or as `keyword=`: as `constructed_arguments`, and also
        and {"optimizer-over:N"} for an optimizer built there over the parameters of the call's
        argument N (`opt = torch.optim.Adam(model.parameters())`), and {"localfn:name"} or
        {"extfn:pkg.mod.name"} for a function of that file or another passed as a value. Kept
        while those files are unchanged; the findings of `path` depend on them."""
        return self._passed_elsewhere(path, function_name, position, keyword, through_names=True, optimizers=True)

    def _passed_elsewhere(self, path: str, name: str, position: int, keyword: str, through_names: bool,
                          optimizers: bool):
        with self._lock:
            path = os.path.abspath(path)
            key = (path, name, position, keyword, through_names, optimizers)
            known = self._constructed.get(key)
            if known is None or any(self.file_hash(d) != h for d, h in known[0].items()):
                found, deps = self._constructions_elsewhere(path, name, position, keyword, through_names,
                                                            optimizers)
                known = self._constructed[key] = ({d: self.file_hash(d) for d in deps}, found)
            for dep in known[0]:
                self._note_dep(path, dep)
            return known[1]

    def _constructions_elsewhere(self, path: str, class_name: str, position: int, keyword: str,
                                 through_names: bool = False, optimizers: bool = False):
        from ..analysis.names import ImportMap

        real = str(Path(path).resolve())
        tags: set = set()
        deps: set = set()
        for other in self._project_files():
            text = self._text(other) if os.path.abspath(other) != path else None
            if not text or f"{class_name}(" not in text:
                continue
            tree = self._tree(other, self.file_hash(other), text)
            if tree is None:
                continue
            imports = ImportMap.from_module(tree)
            # the names a call of the class can be spelled with here (`Block`, `m.Block`, `B` imported as)
            spellings = {class_name, *(local for local, target in imports.aliases.items()
                                       if target.rsplit(".", 1)[-1] == class_name)}
            for call in cached_walk(tree):
                if not isinstance(call, ast.Call) or _last_name(call.func) not in spellings or \
                        self._defined_at(imports.qualify(call.func), other, real, class_name) != class_name:
                    continue
                deps.add(other)
                if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                    return None, deps
                argument = call.args[position] if position < len(call.args) else \
                    next((k.value for k in call.keywords if k.arg == keyword), None)
                tag = None
                if optimizers and type(argument) in (ast.Name, ast.Attribute):  # `fit(model, data, focal)`
                    tag = self._function_named(imports, argument, other, real)
                if tag is None and through_names and type(argument) is ast.Name:  # `model = Net()` ... `train(model)`
                    assigned = _assigned_once_around(tree, call, argument.id)
                    argument = assigned[1] if assigned is not None else None
                    tag = _optimizer_over_argument(imports, argument, call) if optimizers else None
                tag = tag or self._module_class_built(imports, argument, other, real)
                if tag is None:
                    return None, deps
                tags.add(tag)
        return (tags or None), deps

    def _defined_at(self, qualified: str | None, importer: str, real: str, wanted: str | None = None) -> str | None:
        """The name `qualified` (as `importer` spells it, its last part `wanted` when given) has in
        the file `real` defining it, or None."""
        if not qualified or "." not in qualified.lstrip(".") and not qualified.startswith("."):
            return None
        level = len(qualified) - len(qualified.lstrip("."))
        module, _, name = qualified[level:].rpartition(".")
        if name != wanted and wanted is not None:
            return None  # asked only of calls spelling the class's name: no look-up for the rest
        found = self._locate(os.path.abspath(importer), "." * level + module, name)
        return found[2] if found is not None and str(Path(found[0]).resolve()) == real else None

    def _module_class_built(self, imports, argument, importer: str, real: str) -> str | None:
        """`Block(...)` passed by `importer`: the tag of that module class, or None."""
        from ..analysis.interpreter import torch_module_tag
        from ..analysis.names import PARAMLESS_MODULE_SUFFIXES, PARAMLESS_MODULES

        if not isinstance(argument, ast.Call):
            return None
        if type(argument.func) is ast.Subscript:  # `MODELS[name](...)`
            return self._registry_class(imports, argument.func, importer, real)
        qualified = imports.qualify(argument.func)
        short = (qualified or "").rsplit(".", 1)[-1]
        if (qualified or "").startswith("torch.nn.") and short[:1].isupper():
            # `Wrapper(nn.Linear(8, 8))`; a layer without parameters (or a loss) holds nothing to train
            paramless = short in PARAMLESS_MODULES or short.endswith(PARAMLESS_MODULE_SUFFIXES) or short.endswith("Loss")
            return None if paramless else torch_module_tag(short, argument, imports)
        local = self._defined_at(qualified, importer, real)
        if local is not None:
            return f"class:{local}"
        definition = self.resolve(qualified, importer) if qualified else None
        if isinstance(definition, ExternalClass) and definition.is_module and not definition.is_loss:
            return f"extclass:{definition.qualified}"
        return None

    def _function_named(self, imports, argument: ast.AST, importer: str, real: str) -> str | None:
        """`localfn:name` for a function of the file `real` the argument names (as `importer`
        spells it), `extfn:pkg.mod.name` for another project file's; None otherwise."""
        from ..analysis.interpreter import EXTERNAL_FUNCTION_TAG, LOCAL_FUNCTION_TAG

        qualified = imports.qualify(argument)
        if not qualified or "." not in qualified.lstrip("."):
            return None  # a name of the importer itself (a local function or variable): not followed
        local = self._defined_at(qualified, importer, real)
        if local is not None:
            return LOCAL_FUNCTION_TAG + local
        definition = self.resolve(qualified, importer)
        if isinstance(definition, ExternalFunction) and not definition.called_on_class:
            return EXTERNAL_FUNCTION_TAG + definition.qualified
        return None

    def _registry_class(self, imports, entry: ast.Subscript, importer: str, real: str) -> str | None:
        """`MODELS[name]` of a dict of classes bound once at the top of a project file
        (`MODELS = {"conv": ConvEncoder}`, here or imported): the tag of the class each entry it
        can select names (the entry a literal key names), or None."""
        found = self._registry_dict(imports, entry.value, importer)
        if found is None:
            return None
        holder, table = found
        key = entry.slice.value if type(entry.slice) is ast.Constant else None
        values = [v for k, v in zip(table.keys, table.values)
                  if key is None or (type(k) is ast.Constant and k.value == key)]
        holder_imports = _import_map(self._tree(holder, self.file_hash(holder), self._text(holder) or ""))
        tags = {self._class_named(holder_imports, value, holder, importer, real) for value in values}
        return tags.pop() if len(tags) == 1 else None

    def _registry_dict(self, imports, name: ast.AST, importer: str) -> tuple | None:
        """(the file binding it, the dict literal) for a name bound once at top level to a dict."""
        if type(name) is not ast.Name:
            return None
        qualified = imports.aliases.get(name.id)
        if qualified is not None:
            module, _, symbol = qualified.rpartition(".")
            located = self._locate(os.path.abspath(importer), module, symbol) if module else None
            if located is None:
                return None
            holder, line = located[0], located[1]
        else:
            holder, line = os.path.abspath(importer), None
        tree = self._tree(holder, self.file_hash(holder), self._text(holder) or "")
        symbol = qualified.rpartition(".")[2] if qualified else name.id
        assigned = single_assignments(tree).get(symbol) if tree is not None else None
        if assigned is None or type(assigned[1]) is not ast.Dict or line not in (None, assigned[0]):
            return None
        return holder, assigned[1]

    def _class_named(self, imports, value: ast.AST, holder: str, importer: str, real: str) -> str | None:
        """The tag of the module class `value` (a name in the file `holder`) names, or None."""
        qualified = imports.qualify(value) if type(value) in (ast.Name, ast.Attribute) else None
        if qualified is None:
            return None
        if "." not in qualified:  # a class of the holder file itself
            qualified = f"{self.module_name(holder)}.{qualified}"
        local = self._defined_at(qualified, holder, real)
        if local is not None:
            return f"class:{local}"
        definition = self.resolve(qualified, holder)
        if isinstance(definition, ExternalClass) and definition.is_module and not definition.is_loss:
            return f"extclass:{definition.qualified}"
        return None

    def _project_files(self) -> list[str]:
        now = time.monotonic()
        if self._all_files is None or now - self._all_files[0] > LISTING_TTL_S:
            self._all_files = (now, _python_files(self.root))
        return self._all_files[1]

    def _trained_by_scripts(self, path: str, class_name: str) -> tuple[tuple, set]:
        from ..analysis.training_evidence import trained_layers

        word = re.compile(rf"\b{re.escape(class_name)}\b")
        scripts = [p for p in _python_files(self.root) if p != path and word.search(self._text_of(p))]
        scripts.sort(key=lambda p: not _trains(self._text_of(p)))  # training scripts and programs first
        found, deps = [], set()
        for script in scripts[:MAX_EVIDENCE_SCRIPTS]:
            deps.add(script)
            world = self._setup_world(script)
            if world is None:
                continue
            try:
                deps.update(world.modules)
                snapshot = world.snapshot
                where = world.path_of(snapshot.node) if snapshot is not None else None
                where = where or script
                if snapshot is None or where == path or where in self._in_progress:
                    continue
                reach = self._backward_reach(where, snapshot.node)
                layers = trained_layers(world, reach, path, class_name, where)
                if layers is not None:
                    found.append(layers)
            finally:
                world.release()
        return tuple(found), deps

    def _text_of(self, path: str) -> str:
        return self._text(path) or ""

    def _setup_world(self, script: str):
        """The setup evaluation of the file at `script` run as the program, or None."""
        from ..analysis.names import PARAMLESS_MODULES, ImportMap
        from ..analysis.objects import SetupWorld

        tree = self._parsed(script)
        if tree is None:
            return None
        load = lambda module, importer: self.setup_module(module, importer or script, script)  # noqa: E731
        try:
            return SetupWorld.evaluate(tree, ImportMap.from_module(tree), PARAMLESS_MODULES, load)
        except Exception:  # noqa: BLE001 - another file's evaluation must not cost this file's findings
            if os.environ.get("GRADLS_STRICT"):
                raise
            return None

    def _backward_reach(self, path: str, node):
        """What reaches the backward at `node`'s position in the file at `path` (its flow analysis)."""
        from ..analysis.program import FileAnalysis
        from ..analysis.training_evidence import backward_reach

        tree = self._parsed(path)
        if tree is None:
            return None
        self._in_progress.add(path)
        try:
            analysis = FileAnalysis.build(tree, SourceFile(self._text(path), self.display(path)), self, importer=path)
            return backward_reach(analysis, node)
        except Exception:  # noqa: BLE001
            if os.environ.get("GRADLS_STRICT"):
                raise
            return None
        finally:
            self._in_progress.discard(path)

    def _parsed(self, path: str):
        text = self._text(path)
        if text is None:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(text, filename=path)
        except (SyntaxError, ValueError, RecursionError):
            return None

    def record_setup_root_causes(self, path: str, text: str, found: list) -> None:
        """The training script's setup findings whose statement is in another file (a helper
        freezing every parameter): kept with its confirmations, reported by that file."""
        from ..analysis.external import SetupRootCause

        with self._lock:
            path = os.path.abspath(path)
            digest = content_hash(text.encode("utf-8", "surrogatepass"))
            if digest != self.file_hash(path):
                return
            known = self._confirmed.get(path)
            kept = [c for c in known[2] if not isinstance(c, SetupRootCause)] if known and known[0] == digest else []
            if not found and not kept and known is None:
                return
            deps = self._deps.get(path, set()) - {path}
            self._confirmed[path] = (digest, {d: self.file_hash(d) for d in deps}, kept + list(found))
            self._checked.pop(path, None)

    @staticmethod
    def checks_first(text: str) -> bool:
        """Should `gradls check` check this file before the others (a training script)?"""
        return _trains(text)

    def record_confirmations(self, path: str, text: str, confirmations: list) -> None:
        """What the engine's own check of a training script found (saves analysing it again)."""
        with self._lock:
            path = os.path.abspath(path)
            digest = content_hash(text.encode("utf-8", "surrogatepass"))
            if digest != self.file_hash(path):
                return
            deps = self._deps.get(path, set()) if _trains(text) else set()
            self._confirmed[path] = (digest, {d: self.file_hash(d) for d in deps}, list(confirmations))
            self._checked.pop(path, None)

    def _home(self, path: str) -> Path:
        """The folder holding `path`'s top-level module (the file, or its outermost package)."""
        folder = Path(path).parent
        while (folder / "__init__.py").is_file() and folder != folder.parent and folder != self.root:
            folder = folder.parent
        return folder

    def confirmed_files(self, trainer: str) -> list[str]:
        """The files holding the root causes the training script at `trainer` last showed."""
        with self._lock:
            known = self._confirmed.get(os.path.abspath(trainer))
            return sorted({str(self.root / c.path) for c in known[2]}) if known else []

    def _confirmations_of(self, trainer: str) -> tuple[list, set]:
        import time

        known = self._confirmed.get(trainer)
        now = time.monotonic()
        checked = self._checked.get(trainer)
        if known is not None and checked is not None and checked[0] is self.overrides and now - checked[1] < LISTING_TTL_S:
            return known[2], set(known[1])  # validated moments ago, against the same buffers
        digest = self.file_hash(trainer)
        if known is not None and known[0] == digest and all(self.file_hash(d) == h for d, h in known[1].items()):
            self._checked[trainer] = (self.overrides, now)
            return known[2], set(known[1])
        confirmed = self._analyse_trainer(trainer)
        deps = set(self._deps.get(trainer, set())) - {trainer}
        self._confirmed[trainer] = (digest, {d: self.file_hash(d) for d in deps}, confirmed)
        self._checked[trainer] = (self.overrides, now)
        return confirmed, deps

    def _analyse_trainer(self, trainer: str) -> list:
        from ..analysis.cuts import gradient_cuts
        from ..analysis.external import confirmations_from
        from ..analysis.program import FileAnalysis

        text = self._text(trainer)
        tree = self._tree(trainer, self.file_hash(trainer), text) if text is not None else None
        if tree is None:
            return []
        self.stats["trainers"] += 1
        self._in_progress.add(trainer)
        try:
            analysis = FileAnalysis.build(tree, SourceFile(text, self.display(trainer)), self, importer=trainer)
            return confirmations_from(gradient_cuts(analysis), trainer) + setup_root_causes(tree, text, analysis, self)
        except RecursionError:
            return []
        except Exception:  # noqa: BLE001 - a training script's analysis must not cost this file's findings
            if os.environ.get("GRADLS_STRICT"):
                raise
            return []
        finally:
            self._in_progress.discard(trainer)

    def _trains_on_disk(self, path: str) -> bool:
        """Does the file call backward? Kept per (mtime, size): the listing is read again every
        few seconds in the editor, and the texts of the whole project are not kept for it."""
        try:
            info = os.stat(path)
        except OSError:
            return False
        stamp = (info.st_mtime_ns, info.st_size)
        known = self._trainer_stamps.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            text = Path(path).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return False
        answer = _trains(text)
        self._trainer_stamps[path] = (stamp, answer)
        return answer

    def _training_files(self) -> list[str]:
        """The project's files (and editor buffers) that call backward or define a training_step:
        the disk is listed and read again at most every LISTING_TTL_S seconds."""
        import time

        now = time.monotonic()
        if self._listing is None or now - self._listing[0] > LISTING_TTL_S:
            self._listing = (now, [p for p in _python_files(self.root) if self._trains_on_disk(p)])
        found = [p for p in self._listing[1] if p not in self.overrides]
        found += [p for p, text in self.overrides.items()
                  if p.endswith(".py") and self._inside_project(p) and _trains(text)]
        return sorted(found)

    # ----- dependency keys for the result cache of `gradls check` -------------------------

    def cache_key(self, path: str, own_key: str) -> str | None:
        """`own_key` (the file's content key) extended by the hashes of the files it depends on;
        None while this run has not analysed the file and the store knows nothing about it."""
        with self._lock:
            path = os.path.abspath(path)
            deps = self._deps.get(path)
            if deps is None:
                recorded = self.store.importer_deps(path, own_key)
                deps = set(recorded) if recorded is not None else None
            if deps is None:
                return None
            parts = [own_key]
            for dep in sorted(deps):
                parts.append(f"{dep}={self.file_hash(dep) or '-'}")
            return "x" + content_hash("|".join(parts).encode())

    def finish_file(self, path: str, own_key: str) -> None:
        """Remember (in the store) which files `path`'s findings depended on."""
        with self._lock:
            path = os.path.abspath(path)
            deps = self._deps.setdefault(path, set())
            self.store.set_importer_deps(path, own_key, sorted(deps))

    def save(self) -> None:
        with self._lock:
            self.store.save(self.file_hash)

    # ----- files ---------------------------------------------------------------------------

    def file_hash(self, path: str) -> str | None:
        text = self.overrides.get(path)
        if text is not None:
            known = self._override_hashes.get(path)
            if known is None or known[0] is not text:
                known = self._override_hashes[path] = (text, content_hash(text.encode("utf-8", "surrogatepass")))
            return known[1]
        if self.files_stable and path in self._hashes:
            return self._hashes[path][1]
        try:
            info = os.stat(path)
        except OSError:
            return None
        stamp = (info.st_mtime_ns, info.st_size)
        known = self._hashes.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            raw = Path(path).read_bytes()
        except OSError:
            return None
        digest = content_hash(raw)
        self._hashes[path] = (stamp, digest)
        self._texts[path] = raw.decode("utf-8-sig", errors="replace")
        return digest

    def _text(self, path: str) -> str | None:
        if path in self.overrides:
            return self.overrides[path]
        if self.file_hash(path) is None:
            return None
        return self._texts.get(path)

    def _note_dep(self, importer: str, path: str) -> None:
        deps = self._deps.setdefault(importer, set())
        deps.add(path)
        deps |= self._file_deps.get(path, set())

    # ----- fast refusal ------------------------------------------------------------------------

    def _search_dirs(self, importer: str) -> list[str]:
        """The importer's folder and those above it up to the root, the root, root/src: kept
        per folder (a name's lookup asks for them several times)."""
        start = os.path.dirname(importer)
        known = self._dirs.get(start)
        if known is not None:
            return known
        dirs = []
        folder = Path(start)
        while True:
            dirs.append(str(folder))
            if folder == self.root or self.root not in folder.parents:
                break
            folder = folder.parent
        dirs.append(str(self.root))
        dirs.append(str(self.root / "src"))
        self._dirs[start] = dirs
        return dirs

    def _in_project(self, top: str, importer: str) -> bool:
        """`top` is a module of the project the resolver follows (torch and the other names of
        SKIP_TOP never are: the engine's tables or a pass-through answer for them)."""
        return top not in SKIP_TOP and self._is_project_file(top, importer)

    def _is_project_file(self, top: str, importer: str) -> bool:
        """A file or package named `top` sits in the project where `importer` would find it."""
        if not top.isidentifier():
            return False
        for folder in self._search_dirs(importer):
            key = (folder, top)
            found = self._exists.get(key)
            if found is None:
                base = os.path.join(folder, top)
                found = os.path.isfile(base + ".py") or os.path.isdir(base)
                self._exists[key] = found
            if found:
                return True
        return False

    # ----- resolution ---------------------------------------------------------------------------

    def _resolve_bare(self, name: str, importer: str):
        """A name that arrived through `from M import *` in the importer."""
        stars = self._star_modules(importer)
        if not stars:
            return None
        for module in stars:
            if not module.startswith(".") and not self._in_project(module.split(".")[0], importer):
                continue
            definition = self._resolve_dotted(f"{module}{'' if module.endswith('.') else '.'}{name}", importer)
            if definition is not None:
                return definition
        return None

    def _resolve_member(self, qualified: str, importer: str) -> ExternalMember | None:
        """`models.model.parameters`: an attribute of an instance another file binds at top level.
        Tried only where `models.model` is no module but `models` is one, so no jedi is spent."""
        owner, _, attribute = qualified.rpartition(".")
        owner_module = owner.rpartition(".")[0]
        if not owner_module or self._module_files(importer, owner) or not self._module_files(importer, owner_module):
            return None
        instance = self._resolve_dotted(owner, importer)
        return ExternalMember(instance, attribute) if isinstance(instance, ExternalInstance) else None

    def _resolve_class_function(self, qualified: str, importer: str) -> ExternalFunction | None:
        """`losses.Losses.focal`: a static or class method of a class another file defines,
        as a call through the class runs it."""
        owner, _, name = qualified.rpartition(".")
        if "." not in owner.lstrip(".") or self._module_files(importer, owner):
            return None
        definition = self._resolve_dotted(owner, importer)
        method = definition.methods.get(name) if isinstance(definition, ExternalClass) else None
        return method if isinstance(method, ExternalFunction) and method.called_on_class else None

    def _star_modules(self, importer: str) -> tuple[str, ...]:
        facts = self._module_facts(importer)
        return facts[1] if facts is not None else ()

    def _module_facts(self, path: str) -> tuple | None:
        """(name -> binding lines, modules imported with `*`) of the file's current version:
        read from one parse per version (the analysis of the file, if any, reuses that tree)."""
        digest = self.file_hash(path)
        if digest is None:
            return None
        known = self._facts.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        text = self._text(path)
        tree = self._tree(path, digest, text) if text is not None else None
        if tree is None:
            tree = ast.Module(body=[], type_ignores=[])
        facts = (_binding_lines(tree), _star_imports(tree), _reexports(tree))
        self._facts[path] = (digest, facts)
        return facts

    def _tree(self, path: str, digest: str | None, text: str) -> ast.Module | None:
        """The syntax tree of `text` (the file's version `digest`), None on a syntax error; the
        last few are kept: a file's bindings, its export analysis and its setup evaluation
        are read from one parse (analyses never change a tree)."""
        known = self._trees.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        checked = self._checked_analyses.get(path)
        if checked is not None and checked[0] == text:  # the file's own check parsed this very text
            return checked[1].tree
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError):
            tree = None
        if len(self._trees) >= (SHARED_TREES if self.share_analyses else RECENT_TREES):
            self._trees.pop(next(iter(self._trees)))
        self._trees[path] = (digest, tree, text)
        return tree

    def handed_tree(self, path: str, text: str) -> ast.Module | None:
        """The syntax tree an import of `path` already parsed of this very text, for the file's
        own check (`gradls check` only): most files a project imports are parsed for their
        bindings before their own turn comes."""
        with self._lock:
            known = self._trees.get(os.path.abspath(path))
        return known[1] if known is not None and known[2] == text else None

    def _resolve_dotted(self, qualified: str, importer: str):
        level = len(qualified) - len(qualified.lstrip("."))
        rest = qualified[level:]
        module, _, name = rest.rpartition(".")
        target = self._locate(importer, "." * level + module, name)
        if target is None:
            return None
        path, line, symbol = target
        definition = self._definition(path, line, symbol)
        if definition is not None:
            self.stats["found"] += 1
            self._note_dep(importer, path)
            for dep in self._module_files(importer, "." * level + module):
                self._deps.setdefault(importer, set()).add(dep)
        return definition

    def _locate(self, importer: str, module: str, name: str):
        """(defining file, line, name) of `name` imported from `module` in `importer`, by jedi."""
        folder = os.path.dirname(importer)
        key = f"{folder}|{module}|{name}"
        hit = self.store.location(key, self.file_hash)
        if hit is not None:
            self.stats["jedi_cached"] += 1
            return hit or None
        files = self._module_files(importer, module)
        reexports: set = set()
        found = self._defined_in(files, name, reexports)  # the common case, without jedi
        deps = set(files) | reexports
        if found is not None:
            self.stats["direct"] += 1
        elif not files or self._not_one_binding(files, name):
            pass  # jedi would answer nothing either (no file of the project is that module:
            # `from pkg.mod.Class import attr`, a module outside the project or none)
        else:
            self.stats["jedi"] += 1
            found = self._jedi_goto(importer, module, name)
        if found is not None:
            deps.add(found[0])
        self.store.set_location(key, found, {d: self.file_hash(d) for d in deps})
        return found

    def _not_one_binding(self, files: list[str], name: str) -> bool:
        """The module file binds `name` nowhere and imports nothing with `*` (`from . import
        submodule` names a module, no definition), binds it more than once (which one a run
        sees is not known: no answer, as for a helper defined twice), or only otherwise than by
        a definition, a plain assignment or `from M import name` (`with open(f) as name`,
        `import m as name`: nothing an export could describe)."""
        facts = self._module_facts(files[-1])
        if facts is None:
            return False
        lines = facts[0].get(name)
        if not lines:
            return "*" not in facts[0]
        return len(lines) > 1 or lines[0] < 0 and facts[2].get(name) is None

    def _defined_in(self, files: list[str], name: str, read: set | None = None):
        """(file, line, name) when the module file itself (the last of `files`, the module's
        files from `_module_files`) defines `name` once at top level with `def` or `class` and
        binds it nowhere else there, or binds it only by a top-level `from M import name` that
        leads to such a definition (a package's `__init__.py` re-exporting its modules' names):
        the answer jedi would give. `read` collects the files the answer comes from past
        `files`."""
        if not files:
            return None
        path = files[-1]
        facts = self._module_facts(path)
        if facts is None:
            return None
        table = facts[0]
        lines = table.get(name)
        if not lines or len(lines) != 1 or not self._inside_project(path):
            return None
        if "*" in table and not lines[0] > table["*"][0]:  # a later `import *` may rebind it
            return None
        if lines[0] < 0:
            return self._reexported(path, facts[2].get(name), read if read is not None else set())
        return str(Path(path).resolve()), lines[0], name

    def _reexported(self, path: str, source: tuple | None, read: set):
        """Where `from M import name` (`source` = (M, the name there)) in the file `path` leads."""
        if source is None or len(read) >= MAX_REEXPORT_HOPS:
            return None
        module, original = source
        files = self._module_files(path, module)
        if not files or files[-1] in read or files[-1] == path:
            return None  # an import cycle (the packages' `__init__.py` around it are no cycle)
        read.update(files)
        return self._defined_in(files, original, read)

    def _jedi_goto(self, importer: str, module: str, name: str):
        import jedi

        if self._project is None:
            self._project = jedi_project(self.root)
        code = f"from {module} import {name}\n{name}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                script = jedi.Script(code, path=importer, project=self._project)
                names = script.goto(2, 0, follow_imports=True)
        except Exception:  # noqa: BLE001 - jedi failing on odd code must cost nothing but this answer
            return None
        for found in names:
            path = found.module_path
            if path is None or found.type not in ("function", "class", "statement") or found.line is None:
                continue
            path = str(Path(path).resolve())
            if not self._inside_project(path):
                return None
            return path, found.line, found.name
        return None

    def _inside_project(self, path: str) -> bool:
        p = Path(path)
        return (p == self.root or self.root in p.parents) and "site-packages" not in p.parts \
            and p.suffix == ".py"

    def _module_files(self, importer: str, module: str) -> list[str]:
        """The file of `module` as imported from `importer` and its packages' `__init__.py`
        (what a jedi answer depends on besides the defining file), found without jedi."""
        level = len(module) - len(module.lstrip("."))
        parts = [p for p in module[level:].split(".") if p]
        if level:
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            bases = self._search_dirs(importer)
        for base in bases:  # os.path, not pathlib: this runs for every name looked up
            files, folder = [], base
            for i, part in enumerate(parts):
                folder = os.path.join(folder, part)
                init = os.path.join(folder, "__init__.py")
                if os.path.isfile(init):
                    files.append(init)
                elif i == len(parts) - 1 and os.path.isfile(folder + ".py"):
                    files.append(folder + ".py")
                elif not os.path.isdir(folder):
                    files = []
                    break
            if level and not parts and os.path.isfile(os.path.join(base, "__init__.py")):
                files.append(os.path.join(base, "__init__.py"))
            if files:
                return files
        return []

    # ----- analysing the defining file ------------------------------------------------------

    def _definition(self, path: str, line: int, symbol: str):
        exports = self._exports_of(path)
        if not exports:
            return None
        found = exports.get(symbol)
        if found is not None and found.line == line:
            return found
        for name in exports.classes_around(line):  # a method: `Class.method`
            definition = exports.get(name)
            if isinstance(definition, ExternalClass):
                method = definition.methods.get(symbol)
                if method is not None and method.line == line:
                    return method
        return found

    def _exports_of(self, path: str) -> dict:
        digest = self.file_hash(path)
        if digest is None:
            self._index(path, {})  # the file is gone: so are its definitions
            return {}
        stored = self.store.exports(digest, path, self.file_hash)
        if stored is not None:
            self.stats["export_cached"] += 1
            exports, deps = stored
            if isinstance(exports, Exports):
                exports.compute = self._export_computer(path, digest)
                self._attach_members(exports)
            self._index(path, exports)
            live = self._file_deps[path] = self._deps.setdefault(path, set())
            live.update(deps)
            return exports
        if path in self._in_progress:
            return {}  # an import cycle: the inner file sees this one as unknown
        self._in_progress.add(path)
        try:
            exports = self._analyse(path, digest)
        finally:
            self._in_progress.discard(path)
        self._index(path, exports)
        # the same set the file's analysis notes into: it grows as more of its exports are analysed
        self._file_deps[path] = self._deps.setdefault(path, set())
        self._store_exports(path, digest, exports)
        return exports

    def _store_exports(self, path: str, digest: str, exports) -> None:
        deps = self._file_deps.get(path, set()) - {path}
        self.store.set_exports(digest, path, exports, {d: self.file_hash(d) for d in deps})

    def _analyse(self, path: str, digest: str) -> dict:
        """The names of `path` other files may import, each analysed when first asked for."""
        from ..analysis.external import export_names

        analysis = self._export_analysis(path, digest)
        if analysis is None:
            return {}
        self.stats["analysed"] += 1
        spans = {name: (info.node.lineno, info.node.end_lineno or info.node.lineno)
                 for name, info in analysis.classes.items()}
        return Exports(self.module_name(path), export_names(analysis), spans,
                       self._export_computer(path, digest))

    def _export_computer(self, path: str, digest: str):
        """`compute(name, exports)` for the `Exports` of the version `digest` of `path`."""
        def compute(name: str, exports: Exports):
            with self._lock:
                return self._export_one(path, digest, name, exports)
        return compute

    def _export_one(self, path: str, digest: str, name: str, exports: Exports):
        from ..analysis.external import export_one

        members = _ClassMembers(self, path, digest)
        found = self._exported(path, digest, (path, name), exports,
                               lambda analysis: export_one(analysis, exports.module, name, exports, members))
        self.stats["exported"] += 1
        return found

    def _export_member(self, path: str, digest: str, class_name: str, method: str):
        """The method `method` of the class `class_name` of `path` (version `digest`), or None."""
        from ..analysis.external import export_member

        exports = self._current_exports(path, digest)
        if exports is None:
            return None
        self.stats["members"] += 1
        return self._exported(path, digest, (path, class_name, method), exports,
                              lambda analysis: export_member(analysis, exports.module, class_name, method, exports))

    def _class_frozen(self, path: str, digest: str, class_name: str) -> tuple:
        """The attributes the class `class_name` of `path` (version `digest`) freezes."""
        from ..analysis.external import class_freezes

        exports = self._current_exports(path, digest)
        if exports is None:
            return ()
        found = self._exported(path, digest, (path, class_name, "frozen"), exports,
                               lambda analysis: class_freezes(analysis, class_name))
        return found or ()

    def _current_exports(self, path: str, digest: str) -> Exports | None:
        """The `Exports` of `path` while its version is still `digest`."""
        exports = self._exports_of(path) if self.file_hash(path) == digest else None
        return exports if isinstance(exports, Exports) else None

    def _exported(self, path: str, digest: str, key: tuple, exports: Exports, work):
        """`work(analysis)` on the analysis of `path` (version `digest`), guarded: None for an
        older version, a cycle, or a failure of the other file's analysis."""
        with self._lock:
            if self.file_hash(path) != digest or key in self._exporting:
                return None  # an older version's, or asked again while it is analysed (a cycle)
            analysis = self._export_analysis(path, digest)
            if analysis is None:
                return None
            self._exporting.add(key)
            try:
                found = work(analysis)
            except RecursionError:
                found = None
            except Exception:  # noqa: BLE001 - another file's analysis must not cost this file's findings
                if os.environ.get("GRADLS_STRICT"):
                    raise
                found = None
            finally:
                self._exporting.discard(key)
            self._store_exports(path, digest, exports)  # its dependencies may have grown
            return found

    def _attach_members(self, exports: Exports) -> None:
        """Loaded from the store, the classes in `exports` compute what they do not know yet."""
        for value in exports.known.values():
            for definition in (value, getattr(value, "of", None)):
                if isinstance(definition, ExternalClass) and not definition.complete():
                    where = os.path.join(self.root, definition.path)
                    definition.attach(_ClassMembers(self, where, self.file_hash(where)))

    def _export_analysis(self, path: str, digest: str):
        """The analysis of `path` (version `digest`) its exports are read from: functions are
        analysed as an importer asks for them. The last few are kept (and handed to the file's
        own check); another is built again when asked."""
        known = self._export_analyses.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        analysis = self._analysis_of(path, eager=False, reuse_checked=True)
        if analysis is None:
            return None
        if len(self._export_analyses) >= SHARED_ANALYSES:
            _, dropped = self._export_analyses.pop(next(iter(self._export_analyses)))
            dropped.release_setup_world()
        self._export_analyses[path] = (digest, analysis)
        self._hand_over(path, analysis)
        return analysis

    def _hand_over(self, path: str, analysis) -> None:
        if self.share_analyses:
            _keep_recent(self._handed, path, analysis)

    def warm_paths(self) -> list[str]:
        """The files whose analysis (first) or syntax tree the resolver holds, newest first: a
        check of them now reuses it (`handed_analysis`, `handed_tree`)."""
        with self._lock:
            return [*reversed(self._handed), *reversed(self._trees)]

    def keep_checked(self, path: str, analysis) -> None:
        """The analysis a file's own check built, for a file that imports it later in the run."""
        if self.share_analyses:
            with self._lock:
                _keep_recent(self._checked_analyses, os.path.abspath(path), analysis)

    def handed_analysis(self, path: str, text: str):
        """The analysis an import of `path` already built of this very text, for the file's own
        check (once: it then belongs to that check), or None. The analysis of a file is the same
        whether an importer or the file's own check asks for it; building it once halves the
        cost of the files a project imports from."""
        with self._lock:
            known = self._handed.pop(os.path.abspath(path), None)
        if known is None or known[0] != text or known[1].source.path != path:
            return None
        return known[1]

    def subclass_method(self, definition: ExternalClass, method: str, facts: tuple, built: tuple = (),
                        constants: tuple = ()):
        """`definition.method` as it runs on an object of a subclass with the attributes `facts`
        (`attribute_facts`): its file analysed again for it, once per version and subclass."""
        from ..analysis.external import subclass_method

        class_name = definition.qualified.rsplit(".", 1)[-1]
        return self._analysed_again(definition.path, (definition.qualified, method, facts, built, constants),
                                    lambda analysis, module: subclass_method(analysis, class_name, method, facts,
                                                                             module, built, constants))

    def _analysed_again(self, shown_path: str, question: tuple, answer):
        """`answer(analysis, module name)` for the current version of the file at `shown_path`
        (analysed lazily), once per version and `question`; None where it cannot tell."""
        with self._lock:
            path = str(self.root / shown_path)
            digest = self.file_hash(path)
            if digest is None:
                return None
            key = (path, digest, *question)
            if key in self._subclass_methods:
                return self._subclass_methods[key]
            self._subclass_methods[key] = None  # asked again while answering: unknown
            analysis = self._analysis_of(path, eager=False)
            found = answer(analysis, self.module_name(path)) if analysis is not None else None
            self._subclass_methods[key] = found
            return found

    def specialized_method(self, function, facts: tuple, in_eval: bool = False):
        """`function` (an `ExternalFunction`) as a call passing data to the parameters `facts`
        runs it (`FileAnalysis.specialized_summary`), on a module put in eval mode where
        `in_eval` (`self.training` False): once per version and question."""
        from ..analysis.external import specialized_method

        return self._analysed_again(
            function.path, (function.qualified, "gradient-free", facts, in_eval),
            lambda analysis, module: specialized_method(analysis, function.qualified, facts, module, in_eval))

    def instance_method(self, definition: ExternalClass, method: str, built: tuple, constants: tuple = ()):
        """`definition.method` as it runs on an object built with the submodules `built`
        ((attribute, "extclass:…")) and the literal attributes `constants` ((attribute, value)),
        see `FileAnalysis.built_object`: its file analysed again for it, once per version and
        object."""
        return self.subclass_method(definition, method, (), built, constants)

    def _analysis_of(self, path: str, eager: bool = True, reuse_checked: bool | None = None):
        """The analysis of `path`'s current text (None on a syntax error or a failure);
        `eager=False`: its functions analysed only when asked for. `reuse_checked` (by default,
        where eager): the analysis the file's own check built of that text, if kept."""
        from ..analysis.program import FileAnalysis

        text = self._text(path)
        checked = self._checked_analyses.pop(path, None)
        if (eager if reuse_checked is None else reuse_checked) and checked is not None and checked[0] == text \
                and checked[1].source.path == self.display(path):
            return checked[1]
        tree = self._tree(path, self.file_hash(path), text) if text is not None else None
        if tree is None:
            return None
        try:
            return FileAnalysis.build(tree, SourceFile(text, self.display(path)), self, importer=path, eager=eager)
        except RecursionError:
            return None
        except Exception:  # noqa: BLE001 - another file's analysis must not cost this file's findings
            if os.environ.get("GRADLS_STRICT"):
                raise
            return None

    def _index(self, path: str, exports: dict) -> None:
        """Index the exports of `path`'s current version, replacing what an earlier version of
        the file indexed (a long server session must not answer from a deleted definition)."""
        for qualified in self._indexed.pop(path, ()):
            owners = self._by_qualified.get(qualified, {})
            owners.pop(path, None)
            if not owners:
                self._by_qualified.pop(qualified, None)
        names = exports.qualified_names() if isinstance(exports, Exports) else {}
        for qualified, name in names.items():
            self._by_qualified.setdefault(qualified, {})[path] = name
        self._indexed[path] = set(names)

    def display(self, path: str) -> str:
        """`path` as findings name it: relative to the project root."""
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return path

    def module_name(self, path: str) -> str:
        """The dotted name of the module at `path`: its package chain (folders with
        `__init__.py`) plus the file's stem."""
        p = Path(path)
        parts = [] if p.stem == "__init__" else [p.stem]
        folder = p.parent
        while (folder / "__init__.py").is_file() and folder != folder.parent:
            parts.append(folder.name)
            folder = folder.parent
        return ".".join(reversed(parts)) or p.stem


MAX_REEXPORT_HOPS = 16  # files a chain of `from M import name` re-exports is followed through
RECENT_TREES = 8  # syntax trees kept: a file's facts are read just before its analysis
SHARED_TREES = 64  # kept when shared with the files' own checks (`gradls check`)
SHARED_ANALYSES = 64  # analyses kept for a file's own check or its importers (the oldest dropped first)
LISTING_TTL_S = 5.0  # how long a listing of the project's files is trusted (a server sees files come and go)
SKIP_FOLDERS = frozenset({"__pycache__", "site-packages", "node_modules", "venv", "env", "build", "dist"})
TRAINING_MARKERS = ("backward", "training_step", "autograd.grad")


_TRAINING_CALL = re.compile(r"backward\s*\(|training_step|autograd\.grad\s*\(")


_ENTRY_POINT = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.MULTILINE)


@lru_cache(maxsize=64)  # asked of the same text by several rules and passes in a row
def _trains(text: str) -> bool:
    """Calls backward (`loss.backward()`, `accelerator.backward(loss)`, `torch.autograd.grad`:
    a saliency map, a gradient penalty) or defines a training_step; an autograd Function's
    `def backward(ctx, ...)` is no training script. A program's entry point (`if __name__ ==
    "__main__":`) counts too: it may build the model and hand it to a trainer of another file,
    whose setup it is that runs."""
    if "__main__" in text and _ENTRY_POINT.search(text):
        return True
    return any(marker in text for marker in TRAINING_MARKERS) and any(
        not text[max(0, m.start() - 4):m.start()].endswith("def ") for m in _TRAINING_CALL.finditer(text))


def _other_module_file(folder: str, top: str) -> bool:
    """A module `top` in `folder` that is no `top.py`: a stub or a compiled extension."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(n.startswith(top + ".") and not n.endswith((".py", ".pyc")) for n in names)


def _below_buildout(path: str) -> bool:
    """Is there a buildout.cfg in a folder above `path` (jedi then reads paths from its scripts)?"""
    folder = os.path.dirname(path)
    while True:
        if os.path.isfile(os.path.join(folder, "buildout.cfg")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


MAX_EVIDENCE_SCRIPTS = 8   # scripts naming a class whose setup one question about it runs


def _python_files(root: Path) -> list[str]:
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIP_FOLDERS)
        found.extend(os.path.join(folder, f) for f in sorted(files) if f.endswith(".py"))
    return found


def _exports_hold_breaks(exports: dict, shown: str) -> bool:
    """Does a function or method `shown` exports return something cut by a break of its own, or
    a forward hook of one of its classes store one (`HookEffect`)?"""
    def own_break(flow) -> bool:
        return any(len(c.brk.external) > 1 and c.brk.external[1] == shown for c in flow.cuts) \
            or any(own_break(item) for item in flow.items)

    for definition in exports.values():
        functions = definition.methods.values() if isinstance(definition, ExternalClass) else [definition]
        if any(isinstance(f, ExternalFunction) and (own_break(f.returns) or (f.gated or f.reads_training)
                                                    and f.path == shown or _own_grad_off(f, shown)) for f in functions):
            return True  # (a gated one may cut only for a call passing data, one reading
            # `self.training` only in eval mode: `specialized_method`; one leaving grad off cuts
            # what its caller computes next)
        if isinstance(definition, ExternalClass) and any(own_break(e.written) for e in definition.watches):
            return True
    return False


def _own_grad_off(function, shown: str) -> bool:
    brk = function.grad_off
    return brk is not None and len(brk.external) > 1 and brk.external[1] == shown


class _ClassMembers:
    """`ClassMembers` of the exported classes of the version `digest` of `path`: each computed
    on the file's analysis when an importer first reads it."""

    def __init__(self, resolver: ProjectResolver, path: str, digest: str | None) -> None:
        self.resolver, self.path, self.digest = resolver, path, digest

    def method(self, class_name: str, method: str):
        return self.resolver._export_member(self.path, self.digest, class_name, method)

    def frozen(self, class_name: str) -> tuple:
        return self.resolver._class_frozen(self.path, self.digest, class_name)


def _optimizer_over_argument(imports, value, call: ast.Call) -> str | None:
    """"optimizer-over:N" for `torch.optim.Adam(model.parameters(), ...)` where `model` is the
    positional argument N of `call`; None otherwise."""
    if not (isinstance(value, ast.Call) and (imports.qualify(value.func) or "").startswith("torch.optim.")
            and value.args and isinstance(value.args[0], ast.Call)):
        return None
    params = value.args[0].func
    if not (isinstance(params, ast.Attribute) and params.attr == "parameters" and type(params.value) is ast.Name):
        return None
    owner = params.value.id
    index = next((i for i, a in enumerate(call.args) if type(a) is ast.Name and a.id == owner), None)
    return f"optimizer-over:{index}" if index is not None else None


def _keep_recent(table: dict, path: str, analysis) -> None:
    if len(table) >= SHARED_ANALYSES:
        table.pop(next(iter(table)))
    table[path] = (analysis.source.text, analysis)


def _import_map(tree: ast.Module | None):
    from ..analysis.names import ImportMap

    return ImportMap.from_module(tree if tree is not None else ast.Module(body=[], type_ignores=[]))


def _assigned_once_around(tree: ast.Module, call: ast.Call, name: str) -> tuple | None:
    """(line, value) of `name = value`, the one binding of `name` in the top-level function holding
    `call` (`def main(): model = Net(); train(model)`), else at the file's top level."""
    for function in tree.body:
        if type(function) in (ast.FunctionDef, ast.AsyncFunctionDef) \
                and function.lineno <= call.lineno <= (function.end_lineno or function.lineno):
            return single_assignments(function).get(name)
    return single_assignments(tree).get(name)


def _last_name(node: ast.AST) -> str | None:
    """`Block` for `Block` and `m.Block`; None for other expressions."""
    if type(node) is ast.Name:
        return node.id
    return node.attr if type(node) is ast.Attribute else None


def _star_imports(tree: ast.Module) -> tuple[str, ...]:
    """The modules a file imports with `from M import *` at top level (`.losses` for relative)."""
    return tuple("." * node.level + (node.module or "") for node in tree.body
                 if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names))


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _binding_lines(tree: ast.Module) -> dict:
    """name -> the lines binding it: a module-level `def` or `class` (also the only definition
    of its name inside an `if`/`try` block) or a plain top-level `name = value` by its line, any
    other binding anywhere in the file by -1 (it counts against the shortcut)."""
    assigned = _single_assignment_targets(tree)
    definitions = {id(node) for node in [*tree.body, *guarded_definitions(tree)]}
    table: dict = {}
    for node in cached_walk(tree):  # (exact types: this walks every node of every imported file)
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is ast.Store:
                table.setdefault(node.id, []).append(assigned.get(id(node), -1))
        elif kind in _DEFINITIONS:
            table.setdefault(node.name, []).append(node.lineno if id(node) in definitions else -1)
        elif kind is ast.Import or kind is ast.ImportFrom:
            for alias in node.names:
                table.setdefault((alias.asname or alias.name).split(".")[0], []).append(-1)
                if alias.name == "*":  # the line of the last one
                    table["*"] = [max(node.lineno, *table.get("*", [0]))]
    return table


def _reexports(tree: ast.Module) -> dict:
    """name -> (module, its name there) for each top-level `from module import x as name`."""
    found = {}
    for node in tree.body:
        if type(node) is ast.ImportFrom:
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = (module, alias.name)
    return found


def _single_assignment_targets(tree: ast.Module) -> dict:
    """id(target Name) -> line, for the top-level `name = value` of a name bound only there."""
    once = single_assignments(tree)
    targets = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
        if isinstance(target, ast.Name) and once.get(target.id, (None,))[0] == stmt.lineno:
            targets[id(target)] = stmt.lineno
    return targets


def _absolute_keys(texts: dict[str, str]) -> dict[str, str]:
    return {os.path.abspath(path): text for path, text in texts.items() if isinstance(text, str)}
