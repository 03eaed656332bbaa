"""The house: data flows one way through the stages, and no module reaches back."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "chrtool"
# bytes -> event table -> subscribers -> findings -> reports; the contracts (errors, protocol
# registry, compiled core, declarative specs) are below every stage
RANK = {"errors": 0, "protocols": 0, "_fast": 0, "decoders": 0, "table": 1, "inputs": 2,
        "link": 3, "diagnose": 4, "output": 5, "batch": 6, "cli": 7, "__main__": 7}


def _stage(module):
    """'chrtool.output.rows' -> 'output' (None for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "chrtool" else None


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names if node.module == "chrtool")


MODULES = sorted(p for p in ROOT.rglob("*.py") if "simulate" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_later_stage(path):
    own = path.relative_to(ROOT).parts[0].removesuffix(".py")
    if own == "__init__":
        return
    for name in _imports(path):
        other = _stage(name)
        if other is None or other not in RANK:
            continue
        assert RANK[other] <= RANK[own], f"{path.relative_to(ROOT)} imports {name} (a later stage)"


def test_every_module_belongs_to_a_stage():
    for path in MODULES:
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        assert top in RANK or top == "__init__", f"{path}: add its stage to RANK"


@pytest.mark.parametrize("path", sorted((ROOT / "simulate").rglob("*.py")),
                         ids=lambda p: p.name)
def test_the_generator_does_not_use_the_decoders(path):
    """simulate builds its bytes independently (pycrate, construct, struct): a decoder bug must
    not hide in both."""
    for name in _imports(path):
        stage = _stage(name)
        assert stage in (None, "simulate", "decoders"), f"{path.name} imports {name}"


def test_decoders_is_imported_one_way_only():
    """The declarative specs under decoders/ are imported as chrtool.decoders everywhere."""
    repo = ROOT.parent
    for path in [*repo.glob("samples/*.py"), *repo.glob("benchmarks/*.py"), *ROOT.rglob("*.py"),
                 *repo.glob("tests/**/*.py")]:
        for name in _imports(path):
            assert name.split(".")[0] != "decoders", f"{path.relative_to(repo)} imports {name}"
