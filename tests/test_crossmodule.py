"""The cross-module pass on the multi-file fixture projects under fixtures/projects/.

Each project (a model module, a loss or helper module, a training script `train.py`) is
EXECUTED through tests/execution_label.py with its own folder as cwd and on sys.path, and
must show the label its training script declares. Then `gradls check` on the project must
report exactly the `# expect:` markers of all its files with the cross-module pass, and
none of the cross-file ones without it (they can only be seen across files).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradls.cli import main

REPO = Path(__file__).resolve().parent.parent
PROJECTS = sorted(p for p in (REPO / "fixtures" / "projects").iterdir() if (p / "train.py").is_file())
# stand-ins for installed third-party packages (fixtures/libraries/README.md): on PYTHONPATH when a
# project runs and when gradls checks it, as an installed package would be on sys.path
LIBRARIES = REPO / "fixtures" / "libraries"

_spec = importlib.util.spec_from_file_location("execution_label", Path(__file__).with_name("execution_label.py"))
execution_label = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("execution_label", execution_label)
_spec.loader.exec_module(execution_label)


def observe_project(project: Path) -> dict:
    """Run the project's train.py as `python train.py` would: its folder is cwd and sys.path[0]."""
    script = str(project / "train.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "obs.json"
        env = {**execution_label._child_env(), "PYTHONPATH": os.pathsep.join([str(project), str(LIBRARIES)])}
        proc = subprocess.run([sys.executable, str(execution_label.HERE), "--batch", str(out), script],
                              cwd=project, env=env, capture_output=True, text=True,
                              timeout=execution_label.TIMEOUT_S + 60)
        assert out.exists(), proc.stderr[-2000:]
        return json.loads(out.read_text())[script]


@pytest.fixture(scope="module")
def observations() -> dict[str, dict]:
    with ThreadPoolExecutor(2) as pool:
        return dict(zip([p.name for p in PROJECTS], pool.map(observe_project, PROJECTS)))


def expected(project: Path) -> set[tuple[str, str, int]]:
    out = set()
    for path in sorted(project.rglob("*.py")):
        for code, line in execution_label.parse_expect(path.read_text()):
            out.add((path.relative_to(project).as_posix(), code, line))
    return out


@pytest.fixture(autouse=True)
def libraries_on_path(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(LIBRARIES))


def reported(project: Path, capsys, *flags: str) -> set[tuple[str, str, int]]:
    code = main(["check", "--no-cache", "--output-format", "json", "--exit-zero", *flags, str(project)])
    assert code == 0
    findings = json.loads(capsys.readouterr().out or "[]")
    return {(Path(f["path"]).resolve().relative_to(project).as_posix(), f["code"], f["line"]) for f in findings}


def test_there_are_positive_and_negative_projects():
    labels = [execution_label.parse_header((p / "train.py").read_text())["label"] for p in PROJECTS]
    assert labels.count("positive") >= 4 and labels.count("negative") >= 4


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_label_holds_when_executed(project: Path, observations):
    header = execution_label.parse_header((project / "train.py").read_text())
    problems = execution_label.check_fixture(header, observations[project.name])
    assert not problems, problems


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_cross_module_pass_reports_exactly_the_markers(project: Path, capsys):
    want = expected(project)
    assert reported(project, capsys) == want
    header = execution_label.parse_header((project / "train.py").read_text())
    assert bool(want) == (header["label"] == "positive")


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_markers_do_not_depend_on_the_working_folder(project: Path, capsys, monkeypatch, tmp_path):
    """Run from elsewhere (an editor starts the server anywhere): a file the resolver analyses
    itself is known by its path from the project root, and its relative imports still resolve."""
    monkeypatch.chdir(tmp_path)
    assert reported(project, capsys) == expected(project)


@pytest.mark.parametrize("names", [("pos_guarded_helper_detach", "neg_guarded_helper_twice"), None],
                         ids=["a-pair-sharing-utils.standardize", "all-projects"])
def test_projects_checked_in_one_run_report_exactly_their_markers(names, capsys):
    """One `gradls check` over several projects at once, positives first: each has its own
    utils.py, models.py and losses.py, and a name must be answered from the importer's own
    folder, never from another project's file of the same module name."""
    projects = [PROJECTS[0].parent / name for name in names] if names else \
        sorted(PROJECTS, key=lambda project: not project.name.startswith("pos_"))
    want = {(f"{project.name}/{path}", code, line) for project in projects for path, code, line in expected(project)}
    code = main(["check", "--no-cache", "--output-format", "json", "--exit-zero", *map(str, projects)])
    assert code == 0
    findings = json.loads(capsys.readouterr().out or "[]")
    assert {(Path(f["path"]).resolve().relative_to(PROJECTS[0].parent).as_posix(), f["code"], f["line"])
            for f in findings} == want


def test_a_function_is_followed_when_its_only_definition_sits_in_a_guard_block():
    from gradls.analysis.walk import guarded_definitions

    tree = ast.parse(
        "import torch\n"
        "if torch.__version__ >= '2':\n    def once(x):\n        return x\n    class Net:\n        pass\n"
        "try:\n    def twice(x):\n        return x\nexcept ImportError:\n    def twice(x):\n        return x\n"
        "try:\n    from fast import fallback\nexcept ImportError:\n    def fallback(x):\n        return x\n"
        "with open('f') as handle:\n    def handle(x):\n        return x\n"
        "def top(x):\n    return x\n"
    )
    assert sorted(node.name for node in guarded_definitions(tree)) == ["Net", "once"]


def test_a_guarded_definition_is_found_without_jedi():
    from gradls.analysis.external import ExternalFunction
    from gradls.crossmodule import resolver_for

    project = PROJECTS[0].parent / "pos_guarded_helper_detach"
    resolver = resolver_for(project)
    helper = resolver.resolve("utils.standardize", str(project / "train.py"))
    assert isinstance(helper, ExternalFunction) and helper.line == 4
    assert (resolver.stats["direct"], resolver.stats["jedi"]) == (1, 0)
    twice = PROJECTS[0].parent / "neg_guarded_helper_twice"
    assert resolver_for(twice).resolve("utils.standardize", str(twice / "train.py")) is None



def test_a_package_reexport_chain_is_followed_without_jedi(tmp_path):
    """`from pkg import Block` where `pkg/__init__.py` re-exports `Block` from `.layers`, which
    re-exports it from `.blocks`: the resolver follows the chain itself; a chain that loops is
    no definition."""
    from gradls.analysis.external import ExternalClass
    from gradls.crossmodule import resolver_for

    package = tmp_path / "pkg"
    (package / "layers").mkdir(parents=True)
    _write(package, {"__init__.py": "from .layers import Block as Block\nfrom .loop import Loop\n",
                     "loop.py": "from pkg import Loop\n"})
    _write(package / "layers", {
        "__init__.py": "from .blocks import Block\n",
        "blocks.py": "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def forward(self, x):\n"
                     "        return x.detach()\n"})
    (tmp_path / "train.py").write_text("from pkg import Block\n")
    resolver = resolver_for(tmp_path)
    block = resolver.resolve("pkg.Block", str(tmp_path / "train.py"))
    assert isinstance(block, ExternalClass) and block.path.endswith("blocks.py") and block.line == 4
    assert (resolver.stats["direct"], resolver.stats["jedi"]) == (1, 0)
    assert resolver._defined_in([str(package / "__init__.py")], "Loop", set()) is None


def test_names_jedi_could_not_answer_are_settled_without_it(tmp_path):
    """An absolute re-export inside the package itself (`from pkg.models.zoo import Zoo` in
    `pkg/models/__init__.py`: the package's own `__init__.py` is on the way, no import cycle), a
    `def` after a `from m import *`, `from pkg.mod.Class import attr` (no module) and a name the
    module file binds nowhere or binds only inside a block: answered by the resolver, jedi never
    asked."""
    from gradls.analysis.external import ExternalClass, ExternalFunction
    from gradls.crossmodule import resolver_for

    models = tmp_path / "pkg" / "models"
    models.mkdir(parents=True)
    _write(tmp_path / "pkg", {"__init__.py": "", "mod.py": "class Config:\n    size = 3\n\n\n"
                                                      "with open(__file__) as handle:\n    VERSION = handle.readline()\n"})
    _write(models, {"__init__.py": "from pkg.models.zoo import Zoo\n",
                    "zoo.py": "import torch.nn as nn\n\n\nclass Zoo(nn.Module):\n    pass\n",
                    "star.py": "from torch.nn import *\n\n\ndef build():\n    return 1\n"})
    train = str(tmp_path / "train.py")
    (tmp_path / "train.py").write_text("from pkg.models import Zoo\n")
    resolver = resolver_for(tmp_path)
    zoo = resolver.resolve("pkg.models.Zoo", train)
    assert isinstance(zoo, ExternalClass) and zoo.path.endswith("zoo.py") and zoo.line == 4
    build = resolver.resolve("pkg.models.star.build", train)
    assert isinstance(build, ExternalFunction) and build.line == 4
    assert resolver._locate(train, "pkg.mod.Config", "size") is None
    assert resolver._locate(train, "pkg.mod", "missing") is None
    assert resolver._locate(train, "pkg.mod", "VERSION") is None  # bound only inside a `with`
    assert resolver.stats["jedi"] == 0


def test_a_check_reads_each_file_once_while_a_server_sees_it_change(tmp_path):
    from gradls.crossmodule import resolver_for

    helper = tmp_path / "utils.py"
    helper.write_text("def f(x):\n    return x\n")
    one_run, server = resolver_for(tmp_path, files_stable=True), resolver_for(tmp_path)
    before = (one_run.file_hash(str(helper)), server.file_hash(str(helper)))
    helper.write_text("def f(x):\n    return x.detach()\n")
    assert one_run.file_hash(str(helper)) == before[0]
    assert server.file_hash(str(helper)) != before[1]

# projects whose bug the model's file shows alone (the per-module check of forward: a no_grad,
# an in-place change of what its own layers saved, a custom Function giving its parameter None)
SEEN_IN_ONE_FILE = {"pos_model_file_embedding_no_grad", "pos_block_adds_into_saved_activation",
                    "pos_op_function_gives_its_bias_no_gradient", "pos_pyramid_sums_into_relu_outputs"}


@pytest.mark.parametrize("project", [p for p in PROJECTS if p.name not in SEEN_IN_ONE_FILE], ids=lambda p: p.name)
def test_single_file_pass_misses_the_cross_file_bugs(project: Path, capsys):
    got = reported(project, capsys, "--no-cross-module")
    assert not got & expected(project)


@pytest.mark.parametrize("name", ["pos_hook_object_of_another_file_detaches", "pos_helper_detach"])
def test_a_project_checked_from_a_folder_below_its_root_reports_its_root_causes(name, tmp_path, monkeypatch, capsys):
    """`gradls check .` run inside a project folder of a bigger repository (its pyproject.toml
    higher up): the files' own checks and the resolver then name them differently (`tap.py`,
    `examples/proj/tap.py`), and a break that only runs inline (a forward hook) must still be
    found in the file that holds it."""
    import shutil

    project = tmp_path / "examples" / "proj"
    shutil.copytree(REPO / "fixtures" / "projects" / name, project)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'repository'\n")
    monkeypatch.chdir(project)
    main(["check", "--no-cache", "--output-format", "json", "--exit-zero", "."])
    got = {(Path(f["path"]).as_posix(), f["code"], f["line"]) for f in json.loads(capsys.readouterr().out or "[]")}
    assert got == expected(project)


def test_persisted_cache_is_reused_and_invalidated_by_an_imported_file(tmp_path, monkeypatch, capsys):
    """Warm run: answers come from .gradls_cache; editing the helper (not the importer) changes them."""
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "projects" / "pos_helper_detach", project)
    (project / "pyproject.toml").write_text("[tool.gradls]\n")
    monkeypatch.chdir(project)

    def run() -> list[str]:  # (one code per line: both detaches of utils.py's line 3 are reported)
        main(["check", "--output-format", "json", "--exit-zero", "."])
        return sorted({(f["code"], f["line"]) for f in json.loads(capsys.readouterr().out or "[]")})

    assert run() == [("GRD101", 3)]
    assert list((project / ".gradls_cache").glob("crossmodule-*.pickle"))
    assert run() == [("GRD101", 3)]  # from the caches
    helper = project / "utils.py"
    helper.write_text(helper.read_text().replace("centered.detach()", "centered"))
    os.utime(helper, ns=(1, 1))
    assert run() == []
    helper.write_text(helper.read_text().replace("return centered /", "return centered.detach() /"))
    assert run() == [("GRD101", 3)]


def test_resolver_refuses_outside_names_fast_and_follows_reexports():
    from gradls.crossmodule import resolver_for
    from gradls.analysis.external import ExternalClass, ExternalFunction

    project = REPO / "fixtures" / "projects" / "pos_model_forward_no_grad"
    resolver = resolver_for(project)
    importer = str(project / "train.py")
    assert resolver.resolve("torch.nn.functional.relu", importer) is None
    assert resolver.resolve("numpy.corrcoef", importer) is None
    assert resolver.stats["jedi"] == 0
    encoder = resolver.resolve("nets.Encoder", importer)
    assert isinstance(encoder, ExternalClass) and encoder.is_module
    assert encoder.path.endswith("nets/encoder.py") and "forward" in encoder.methods
    loss = resolver.resolve("losses.embedding_loss", importer)
    assert isinstance(loss, ExternalFunction) and loss.params == ("z", "target")
    assert resolver.resolve("losses.missing", importer) is None


def test_import_cycle_terminates(tmp_path):
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    (tmp_path / "a.py").write_text("from b import g\n\ndef f(x):\n    return g(x).detach()\n")
    (tmp_path / "b.py").write_text("from a import f\n\ndef g(x):\n    return f(x)\n")
    train = "import torch\nfrom a import f\nm = torch.nn.Linear(2, 1)\nloss = f(m(torch.ones(1, 2))).sum()\nloss.backward()\n"
    (tmp_path / "train.py").write_text(train)
    resolver = resolver_for(tmp_path)
    assert check_source(train, str(tmp_path / "train.py"), resolver=resolver) == []  # reported where it is
    a = (tmp_path / "a.py").read_text()
    findings = check_source(a, str(tmp_path / "a.py"), resolver=resolver)
    assert [(f.code, f.line) for f in findings] == [("GRD101", 4)]


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


INSTANCE_PROJECT = {
    "models.py": "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                 "        super().__init__()\n        self.fc = nn.Linear(4, 1)\n\n    def forward(self, x):\n"
                 "        return self.fc(x)\n\n\nmodel = Net()\nlinear = nn.Linear(4, 1)\nwidth = 4\n"
                 "twice = nn.Linear(4, 1)\ntwice = nn.Linear(4, 2)\n",
    "losses.py": "import functools\n\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
                 "def my_loss(pred, target, reduction='mean'):\n    return F.mse_loss(pred, target, reduction=reduction)\n\n\n"
                 "criterion = nn.MSELoss()\nsummed = functools.partial(F.mse_loss, reduction='sum')\n"
                 "loss_fn = my_loss\npartial_fn = functools.partial(my_loss, reduction='sum')\n",
}


def test_resolver_exports_module_level_instances_and_aliases(tmp_path):
    from gradls.analysis.external import ExternalClass, ExternalFunction, ExternalInstance, ExternalMember
    from gradls.crossmodule import resolver_for

    _write(tmp_path, INSTANCE_PROJECT)
    resolver = resolver_for(tmp_path)
    importer = str(tmp_path / "train.py")
    model = resolver.resolve("models.model", importer)
    assert isinstance(model, ExternalInstance) and model.kind == "module" and model.line == 13
    assert isinstance(model.of, ExternalClass) and model.of.qualified == "models.Net"
    linear = resolver.resolve("models.linear", importer)
    assert linear.kind == "module" and linear.of is None
    assert resolver.resolve("losses.criterion", importer).kind == "loss"
    summed = resolver.resolve("losses.summed", importer)
    assert (summed.kind, summed.target) == ("function", "torch.nn.functional.mse_loss")
    loss_fn = resolver.resolve("losses.loss_fn", importer)
    assert isinstance(loss_fn.of, ExternalFunction) and loss_fn.of.params == ("pred", "target", "reduction")
    assert resolver.resolve("losses.partial_fn", importer).of.params == ("pred", "target")
    member = resolver.resolve("models.model.parameters", importer)
    assert isinstance(member, ExternalMember) and member.instance == model and member.attribute == "parameters"
    assert resolver.resolve("models.width", importer) is None   # a number is nothing to follow
    assert resolver.resolve("models.twice", importer) is None   # bound twice: which one is unknown
    assert resolver.stats["jedi"] <= 2                           # the plain cases need no jedi


def test_imported_instances_carry_gradient_in_the_importer(tmp_path):
    """`model(x)` of an imported instance is a module call, `criterion(...)` a loss call."""
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    _write(tmp_path, INSTANCE_PROJECT)
    train = ("import torch\n\nfrom losses import criterion, loss_fn, summed\nfrom models import linear, model\n\n"
             "optimizer = torch.optim.SGD(list(model.parameters()) + list(linear.parameters()), lr=0.1)\n"
             "x, y = torch.randn(8, 4), torch.randn(8, 1)\n"
             "a = criterion(model(x).detach(), y)\n"
             "b = loss_fn(linear(x), y) + summed(model(x), y)\n"
             "a.backward()\nb.backward()\n")
    (tmp_path / "train.py").write_text(train)
    findings = check_source(train, str(tmp_path / "train.py"), resolver=resolver_for(tmp_path))
    assert [(f.code, f.line) for f in findings] == [("GRD101", 8)]
    assert check_source(train, str(tmp_path / "train.py")) == []


def test_odd_module_level_bindings_cost_nothing(tmp_path, monkeypatch):
    """Bindings the pass does not model stay unknown names: no crash, no lost finding."""
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    monkeypatch.setenv("GRADLS_STRICT", "1")  # an exception in the defining file's analysis raises
    _write(tmp_path, {"models.py": "import functools\nimport torch.nn as nn\n"
                                   "a, b = nn.Linear(2, 1), nn.Linear(2, 1)\npartial = functools.partial()\n"
                                   "alias = undefined_name\nlam = lambda x: x\nfor i in range(2):\n    loop = i\n"
                                   "model: nn.Module = nn.Linear(2, 1)\n",
                      "broken.py": "import torch.nn as nn\nnet = nn.Linear(2, 1)\nbroken = (\n"})
    resolver = resolver_for(tmp_path)
    importer = str(tmp_path / "train.py")
    assert resolver.resolve("models.model", importer).kind == "module"
    for name in ("a", "partial", "alias", "lam", "loop"):
        assert resolver.resolve(f"models.{name}", importer) is None, name
    assert resolver.resolve("broken.net", importer) is None
    train = ("import torch\nfrom models import a, partial, alias, lam, loop, model\nfrom broken import net\n"
             "loss = (model(torch.ones(1, 2)).detach() + a(torch.ones(1, 2)) + alias(1) + lam(1) + partial(1)\n"
             "        + net(torch.ones(1, 2))).sum()\n"
             "loss.backward()\n")
    (tmp_path / "train.py").write_text(train)
    findings = check_source(train, importer, resolver=resolver)
    assert [(f.code, f.line) for f in findings] == [("GRD101", 4)]


def test_saving_the_cache_prunes_stale_entries_and_other_salts(tmp_path, monkeypatch, capsys):
    """After a helper is edited and a module deleted, the saved store holds only entries that
    can still match, and a cache file of another gradls version is gone."""
    import pickle
    import shutil

    from gradls.crossmodule.resolver import content_hash

    project = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "projects" / "pos_helper_detach", project)
    (project / "pyproject.toml").write_text("[tool.gradls]\n")
    monkeypatch.chdir(project)
    main(["check", "--output-format", "json", "--exit-zero", "."])
    folder = project / ".gradls_cache"
    [store_file] = folder.glob("crossmodule-*.pickle")
    other_salt = folder / "crossmodule-0123456789abcdef.pickle"
    other_salt.write_bytes(pickle.dumps({"format": 1}))
    results = sorted(p.name for p in folder.glob("results-*.json"))
    before = pickle.loads(store_file.read_bytes())
    assert any(path.endswith("losses.py") for _, path in before["exports"])

    helper = project / "utils.py"
    helper.write_text(helper.read_text().replace("centered.detach()", "centered"))
    (project / "losses.py").unlink()
    main(["check", "--output-format", "json", "--exit-zero", "."])
    capsys.readouterr()

    def current(path: str) -> str | None:
        return content_hash(Path(path).read_bytes()) if Path(path).exists() else None

    after = pickle.loads(store_file.read_bytes())
    assert after["exports"] and all(current(path) == digest for digest, path in after["exports"])
    assert all(current(dep) == digest for _, deps in after["exports"].values() for dep, digest in deps.items())
    assert all(current(dep) == digest for _, deps in after["locations"].values() for dep, digest in deps.items())
    assert all(current(path) == key for path, (key, _) in after["importers"].items())
    assert not other_salt.exists() and store_file.exists()
    assert sorted(p.name for p in folder.glob("results-*.json")) == results


@pytest.mark.parametrize("project", [p for p in PROJECTS if p.name.startswith("pos_")], ids=lambda p: p.name)
def test_fix_sees_and_fixes_the_root_causes_check_reports(project: Path, capsys, tmp_path):
    """On a copy of the project: `--diff` writes nothing; `--fix` fixes the root causes that have
    a safe fix in the file that holds them (not in the training script) and reports the others
    as remaining, exactly what `check` then reports; `--no-cross-module` fixes nothing of them."""
    import shutil

    work = tmp_path / project.name
    shutil.copytree(project, work)
    (work / "pyproject.toml").write_text("[tool.gradls]\n")  # the project's root: its files are the project
    want = expected(work)
    before = {path: path.read_text() for path in work.rglob("*.py")}

    def changed() -> set[str]:
        return {path.relative_to(work).as_posix() for path, text in before.items() if path.read_text() != text}

    main(["check", "--no-cache", "--diff", "--no-cross-module", str(work)])
    capsys.readouterr()
    main(["check", "--no-cache", "--diff", str(work)])
    diff = capsys.readouterr()
    assert not changed()
    main(["check", "--no-cache", "--fix", "--output-format", "json", str(work)])
    findings = json.loads(capsys.readouterr().out or "[]")
    remaining = {(Path(f["path"]).resolve().relative_to(work).as_posix(), f["code"], f["line"]) for f in findings}
    fixed = want - remaining
    assert remaining <= want and reported(work, capsys) == remaining
    assert changed() == {path for path, _, _ in fixed} and "train.py" not in changed()
    assert ("Would fix" in diff.err) == bool(fixed) and all(f"+++ {path}" in diff.out.replace(str(work) + "/", "")
                                                             for path in changed())


def test_fix_applies_a_fix_only_the_cross_module_pass_finds(tmp_path, monkeypatch, capsys):
    """`model` is an instance models.py builds: only across files is `.detach()` on its output
    a cut, and only then does `--fix` remove it."""
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    (tmp_path / "models.py").write_text("import torch.nn as nn\n\nmodel = nn.Linear(4, 1)\n")
    train = ("import torch\n\nfrom models import model\n\n"
             "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(8, 4)\n"
             "loss = model(x).detach().pow(2).mean()\nloss.backward()\noptimizer.step()\n")
    (tmp_path / "train.py").write_text(train)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "--fix", "--no-cross-module", "."]) == 0
    assert (tmp_path / "train.py").read_text() == train
    assert main(["check", "--no-cache", "--fix", "."]) == 0
    assert "Fixed 1 problem, 0 remaining." in capsys.readouterr().out
    assert (tmp_path / "train.py").read_text() == train.replace("model(x).detach()", "model(x)")


def test_overlay_texts_are_read_before_the_disk(tmp_path):
    """An overlay (path -> text: an editor's unsaved buffers) replaces the file on disk, for
    the resolver's whole life or (`overlaid`) for one block: the helper's unsaved detach is
    the root cause of the training script's cut, and so is reported in the helper."""
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    helper = "def standardize(x):\n    return x - x.mean()\n"
    detaching = helper.replace("return x - x.mean()", "return (x - x.mean()).detach()")
    (tmp_path / "utils.py").write_text(helper)
    train = ("import torch\nfrom utils import standardize\nm = torch.nn.Linear(2, 1)\n"
             "loss = standardize(m(torch.ones(1, 2))).sum()\nloss.backward()\n")
    (tmp_path / "train.py").write_text(train)
    path = str(tmp_path / "utils.py")

    def codes(resolver, text) -> list[tuple[str, int]]:
        return [(f.code, f.line) for f in check_source(text, path, resolver=resolver)]

    assert codes(resolver_for(tmp_path), helper) == []
    assert codes(resolver_for(tmp_path, overlay={path: detaching}), detaching) == [("GRD101", 2)]
    resolver = resolver_for(tmp_path)
    with resolver.overlaid({path: detaching}):
        assert codes(resolver, detaching) == [("GRD101", 2)]
    assert codes(resolver, helper) == []  # the disk again, not what was learnt from the overlay
    # the buffer differs from what the project's files see: no root cause is claimed for it
    assert codes(resolver, detaching) == []
    assert check_source(train, str(tmp_path / "train.py"), resolver=resolver) == []


def test_a_name_known_only_by_its_export_follows_the_file_as_it_changes(tmp_path):
    """`pkg.models.Net`, indexed when a file inside the package was analysed, is answered for
    an importer that cannot spell that import only while models.py still defines it."""
    from gradls.analysis.external import ExternalClass
    from gradls.crossmodule import resolver_for

    package = tmp_path / "lib" / "pkg"
    package.mkdir(parents=True)
    (tmp_path / "tools").mkdir()
    net = "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n"
    _write(package, {"__init__.py": "", "models.py": net})
    resolver = resolver_for(tmp_path)
    inside, outside = str(package / "factory.py"), str(tmp_path / "tools" / "run.py")
    assert isinstance(resolver.resolve(".models.Net", inside), ExternalClass)
    found = resolver.resolve("pkg.models.Net", outside)
    assert isinstance(found, ExternalClass) and found.path.endswith("pkg/models.py")
    (package / "models.py").write_text(net.replace("class Net(", "class Renamed("))
    assert resolver.resolve("pkg.models.Net", outside) is None
    (package / "models.py").unlink()
    assert resolver.resolve("pkg.models.Net", outside) is None


# ----- installed libraries: what their calls return, asked of jedi ---------------------------


def test_library_result_kinds_come_from_jedi(tmp_path):
    from gradls.crossmodule.library import infer_result, jedi_project

    project = jedi_project(tmp_path)  # PYTHONPATH (the autouse fixture) holds fixtures/libraries
    importer = str(tmp_path / "train.py")
    assert infer_result(project, "zoo.create_model", importer)[0] == "module"  # by its annotation
    assert infer_result(project, "zoo.TinyNet", importer)[0] == "module"  # an nn.Module subclass
    assert infer_result(project, "zoo.metrics.batch_scores", importer)[0] == "ndarray"
    kind, files = infer_result(project, "zoo.mean_score", importer)
    assert kind == "number" and any(f.endswith("metrics.py") for f in files)
    assert infer_result(project, "zoo.per_row", importer)[0] == "list"
    assert infer_result(project, "zoo.no_such_name", importer)[0] is None


def test_a_library_this_interpreter_cannot_find_is_not_asked_of_jedi(tmp_path, monkeypatch):
    """`module_found` asks jedi only where jedi could look further than this interpreter: a
    project virtualenv or a PYTHONPATH folder this process does not search (the stand-in
    libraries here)."""
    import jedi
    from gradls.crossmodule.library import jedi_project, module_found

    importer = str(tmp_path / "train.py")
    asked = []
    real_script = jedi.Script
    monkeypatch.setattr(jedi, "Script", lambda *a, **k: asked.append(a[0]) or real_script(*a, **k))
    monkeypatch.delenv("PYTHONPATH")
    assert module_found(jedi_project(tmp_path), "gradls_no_such_library", importer) is False
    assert asked == []
    monkeypatch.setenv("PYTHONPATH", str(LIBRARIES))  # not in this process's sys.path
    assert module_found(jedi_project(tmp_path), "zoo", importer) is True
    assert asked == ["import zoo\nzoo\n"]


def test_library_answers_skip_torch_stdlib_and_project_names_and_are_persisted(tmp_path, monkeypatch):
    from gradls.crossmodule import resolver_for

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "timm").mkdir()  # the project is itself a library the resolver never follows
    (tmp_path / "timm" / "__init__.py").write_text("def create_model():\n    return None\n")
    importer = str(tmp_path / "train.py")
    resolver = resolver_for(tmp_path, tmp_path / ".gradls_cache")
    for name in ("torch.nn.Linear", "os.path.join", "numpy.asarray", "helpers.f", "timm.create_model"):
        assert resolver.library_kind(name, importer) is None
    assert resolver.stats["library"] == 0  # none of them reached jedi
    assert resolver.library_kind("zoo.create_model", importer) == "module"
    assert resolver.stats["library"] == 1
    resolver.save()

    again = resolver_for(tmp_path, tmp_path / ".gradls_cache")
    assert again.library_kind("zoo.create_model", importer) == "module"
    assert (again.stats["library"], again.stats["library_cached"]) == (0, 1)


def test_a_list_from_a_library_turned_into_a_tensor_is_a_tensor_from_list(tmp_path):
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    (tmp_path / "pyproject.toml").write_text("")
    source = ("import torch\nimport zoo\n\nmodel = torch.nn.Linear(8, 4)\n"
              "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nx = torch.randn(16, 8)\n"
              "rows = zoo.per_row(model(x))\nloss = torch.tensor(rows).mean()\nloss.backward()\nopt.step()\n")
    path = str(tmp_path / "train.py")
    alone = {f.code for f in check_source(source, path)}
    typed = {f.code for f in check_source(source, path, resolver=resolver_for(tmp_path))}
    assert "GRD103" not in alone and "GRD103" in typed


def test_a_root_cause_is_reported_once_where_it_is_and_suppressed_there(tmp_path, monkeypatch, capsys):
    """Two training scripts backpropagate through utils.standardize's detach: one finding, in
    utils.py, naming both backward calls; none in the scripts. A suppression comment on the
    detach (in utils.py) silences it, the scripts stay silent too."""
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "projects" / "pos_helper_detach", project)
    (project / "pyproject.toml").write_text("[tool.gradls]\n")
    shutil.copy(project / "train.py", project / "finetune.py")
    monkeypatch.chdir(project)

    def run() -> list[dict]:
        main(["check", "--no-cache", "--output-format", "json", "--exit-zero", "."])
        return json.loads(capsys.readouterr().out or "[]")

    findings = run()  # `centered.detach()` and `x.std(...).detach()`: both cut the prediction
    assert sorted((f["path"], f["line"], f["column"], f["code"]) for f in findings) == [
        ("utils.py", 3, 20, "GRD101"), ("utils.py", 3, 59, "GRD101")]
    for finding in findings:
        assert sorted((r["path"], r["line"]) for r in finding["related"]) == [("finetune.py", 19), ("train.py", 19)]
    utils = project / "utils.py"
    utils.write_text(utils.read_text().replace("# expect: GRD101", "# gradls: ignore[GRD101]"))
    assert run() == []
    utils.write_text(utils.read_text().replace("# gradls: ignore[GRD101]", "# gradls: ignore[GRD105]"))
    assert {f["path"] for f in run()} == {"utils.py"}  # another code's suppression does not hide it


def test_checking_the_training_script_alone_reports_the_root_cause_in_its_file(monkeypatch, capsys):
    """`gradls check train.py`: the break train.py reaches is reported in nets/encoder.py (only
    that finding of the file), its related place is train.py's backward as the CLI names paths."""
    project = REPO / "fixtures" / "projects" / "pos_model_forward_no_grad"
    monkeypatch.chdir(project)
    main(["check", "--no-cache", "--output-format", "json", "--exit-zero", "train.py"])
    [finding] = json.loads(capsys.readouterr().out or "[]")
    assert (finding["path"], finding["code"], finding["line"]) == ("nets/encoder.py", "GRD106", 11)  # from its `with torch.no_grad():`
    assert [(r["path"], r["line"]) for r in finding["related"]] == [("train.py", 17)]
    main(["check", "--no-cache", "--output-format", "json", "--exit-zero", "--no-cross-module", "train.py"])
    assert json.loads(capsys.readouterr().out or "[]") == []


@pytest.mark.parametrize("name", sorted(SEEN_IN_ONE_FILE))
def test_the_model_file_alone_reports_its_own_layers_cut(name: str, capsys):
    project = PROJECTS[0].parent / name
    got = reported(project, capsys, "--no-cross-module")
    assert got == expected(project)


WRAPPER_FILE = """\
import torch.nn as nn


class Block(nn.Module):
    def forward(self, x):
        return x


class Other(nn.Module):
    def forward(self, x):
        return x


class Wrapper(nn.Module):
    def __init__(self, inner, gain):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)
"""


@pytest.mark.parametrize("model_file, answer", [
    ("from .blocks import Block, Wrapper\na = Wrapper(Block(), 2.0)\nb = Wrapper(inner=Block(), gain=1.0)\n",
     {"class:Block"}),
    ("from .blocks import Block, Other, Wrapper\na = Wrapper(Block(), 2.0)\nb = Wrapper(Other(), 1.0)\n",
     {"class:Block", "class:Other"}),                       # two classes: the engine leaves it unknown
    ("from .blocks import Block, Wrapper\nblock = Block()\na = Wrapper(block, 2.0)\n", {"class:Block"}),  # a name
    ("from .blocks import Block, Other, Wrapper\nblock = Block()\nblock = Other()\na = Wrapper(block, 2.0)\n",
     None),                                                 # bound twice: not known
    ("from .blocks import Block, Wrapper\nPARTS = {'a': Block}\n\n\ndef build():\n    block = PARTS['a']()\n"
     "    return Wrapper(block, 2.0)\n", {"class:Block"}),  # a registry entry, in a function
    ("import torch.nn as nn\nfrom .blocks import Wrapper\na = Wrapper(nn.Linear(4, 4), 2.0)\n", {"torch:Linear"}),
    ("import torch.nn as nn\nfrom .blocks import Wrapper\na = Wrapper(nn.ReLU(), 2.0)\n", None),  # nothing to train
    ("from .blocks import Block, Wrapper\nparts = [Block(), 2.0]\na = Wrapper(*parts)\n", None),
    ("from .blocks import Block\nclass Wrapper:\n    pass\na = Wrapper(Block(), 2.0)\n", None),  # another Wrapper
])
def test_constructed_arguments_of_a_class_built_in_another_file(tmp_path, model_file, answer):
    from gradls.crossmodule import resolver_for

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(WRAPPER_FILE)
    (package / "model.py").write_text(model_file)
    resolver = resolver_for(tmp_path)
    assert resolver.constructed_arguments(str(package / "blocks.py"), "Wrapper", 0, "inner") == answer


def test_a_wrapper_runs_the_forward_of_the_block_other_files_give_it(tmp_path, capsys):
    """The model file builds `Wrapper(Cut())`; the wrapper's file alone cannot know what it calls."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(WRAPPER_FILE.replace(
        "class Other(nn.Module):\n    def forward(self, x):\n        return x\n",
        "class Cut(nn.Module):\n    def forward(self, x):\n        return x.detach() * 2\n"))
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom pkg.blocks import Cut, Wrapper\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.body = nn.Linear(4, 4)\n        self.post = Wrapper(Cut(), 2.0)\n\n"
        "    def forward(self, x):\n        return self.post(self.body(x))\n\n"
        "net = Net()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        "loss = net(torch.randn(2, 4)).sum()\nloss.backward()\nopt.step()\n")
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    found = reported(tmp_path, capsys)
    assert ("pkg/blocks.py", "GRD101", 11) in found, found


ALONE_PROJECT = {
    "blocks.py": "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n"
                 "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n"
                 "        return self.fc(x).detach()\n",
    "net.py": "import torch.nn as nn\n\nfrom blocks import Block\n\n\nclass Net(nn.Module):\n"
              "    def __init__(self):\n        super().__init__()\n        self.block = Block()\n"
              "        self.head = nn.Linear(4, 1)\n\n    def forward(self, x):\n"
              "        return self.head(self.block(x))\n",
}


def test_a_file_without_training_code_is_analysed_alone(tmp_path):
    """Its own check reads no other file (what the project's training code shows about it
    arrives as confirmations), whether or not an importer analysed it first in the run."""
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    _write(tmp_path, ALONE_PROJECT)
    text = ALONE_PROJECT["net.py"]
    resolver = resolver_for(tmp_path)
    alone = check_source(text, str(tmp_path / "net.py"), resolver=resolver)
    assert resolver.stats["analysed"] == 0  # blocks.py was not analysed for net.py's own check
    importer = tmp_path / "user.py"
    importer.write_text("from net import Net\n\nmodel = Net()\n")
    assert resolver.resolve("net.Net", str(importer)) is not None  # builds net.py's analysis with the project
    assert resolver.stats["analysed"] >= 1
    again = check_source(text, str(tmp_path / "net.py"), resolver=resolver)
    assert [(f.code, f.line) for f in again] == [(f.code, f.line) for f in alone]


def test_a_file_with_training_code_is_analysed_with_the_project(tmp_path):
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    _write(tmp_path, ALONE_PROJECT)
    script = ("import torch\n\nfrom net import Net\n\nmodel = Net()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
              "loss = model(torch.randn(2, 4)).sum()\nloss.backward()\nopt.step()\n")
    (tmp_path / "train.py").write_text(script)
    resolver = resolver_for(tmp_path)
    check_source(script, str(tmp_path / "train.py"), resolver=resolver)
    assert resolver.stats["analysed"] >= 2  # net.py and, through it, blocks.py


LAZY_PROJECT = {
    "helpers.py": "import torch\n\n\ndef kept(x):\n    return x * 2\n\n\ndef cut(x):\n    return x.detach() * 2\n",
    "other.py": "from helpers import kept\n",
    "user.py": "from helpers import cut\n",
}


def test_exports_are_analysed_when_asked_for_and_the_store_keeps_what_was_asked(tmp_path):
    """A file's exports are analysed name by name as importers ask; a later run reading the
    store answers those names without analysing them again, and analyses the others when asked."""
    from gradls.analysis.external import ExternalFunction
    from gradls.crossmodule import resolver_for

    project, cache = tmp_path / "p", tmp_path / "cache"
    project.mkdir()
    _write(project, LAZY_PROJECT)
    first = resolver_for(project, cache)
    kept = first.resolve("helpers.kept", str(project / "other.py"))
    assert isinstance(kept, ExternalFunction) and not kept.returns.cuts
    assert first.stats["exported"] == 1  # `cut` was not analysed: nobody asked for it
    first.store.save()
    second = resolver_for(project, cache)
    assert second.resolve("helpers.kept", str(project / "other.py")) == kept
    assert second.stats["exported"] == 0
    cut = second.resolve("helpers.cut", str(project / "user.py"))
    assert isinstance(cut, ExternalFunction) and cut.returns.cuts  # analysed now, from the stored names
    assert second.stats["exported"] == 1


LAZY_CLASS_PROJECT = {
    "nets.py": (
        "import torch\nimport torch.nn as nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.body = nn.Linear(4, 4)\n"
        "        self.head = nn.Linear(4, 1)\n        self.body.requires_grad_(False)\n\n"
        "    def forward(self, x):\n        return self.head(self.body(x))\n\n"
        "    def embed(self, x):\n        return self.body(x).detach()\n"),
    "train.py": "from nets import Net\n",
}


def test_a_class_method_is_analysed_when_asked_for_and_the_store_keeps_what_was_asked(tmp_path):
    """An exported class summarises a method when an importer reads it (`forward`, not
    `embed`), and what its methods freeze when that is read; a later run reading the store
    answers what was read and computes the rest when asked."""
    from gradls.analysis.external import ExternalClass
    from gradls.crossmodule import resolver_for

    project, cache = tmp_path / "p", tmp_path / "cache"
    project.mkdir()
    _write(project, LAZY_CLASS_PROJECT)
    importer = str(project / "train.py")
    first = resolver_for(project, cache)
    net = first.resolve("nets.Net", importer)
    assert isinstance(net, ExternalClass) and set(net.methods.names) == {"forward", "embed"}
    assert first.stats["members"] == 0  # nothing summarised yet
    assert not net.methods["forward"].returns.cuts
    assert first.stats["members"] == 1 and not net.complete()
    first.store.save()
    second = resolver_for(project, cache)
    stored = second.resolve("nets.Net", importer)
    assert stored.methods["forward"] == net.methods["forward"] and second.stats["members"] == 0
    assert stored.methods["embed"].returns.cuts  # computed now, on the file's analysis
    assert stored.frozen == ("body",) and second.stats["members"] == 1
