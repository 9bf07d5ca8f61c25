"""Every third-party module the product imports comes with `pip install .`:
from a runtime dependency of pyproject.toml or one of theirs, never only from
the test extra (httpx was, and `contacthub demo` failed on a fresh install)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("events", "domain", "adapters", "projections", "services")


def imported_top_modules() -> set[str]:
    found: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PRODUCT) - {"__future__"}


def name_of(requirement: str) -> str:
    return re.split(r"[ \[<>=~!;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def runtime_closure() -> set[str]:
    """contacthub's runtime requirements (no extras) and theirs, by distribution name."""
    todo = [name_of(r) for r in requires("contacthub") or [] if "extra ==" not in r]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [name_of(r) for r in requires(name) or [] if "extra ==" not in r]
        except Exception:  # an optional part not installed here
            continue
    return seen


def test_every_imported_module_comes_from_a_runtime_dependency() -> None:
    closure = runtime_closure()
    by_module = packages_distributions()
    missing = {
        module: by_module.get(module, [])
        for module in imported_top_modules()
        if not {d.lower().replace("_", "-") for d in by_module.get(module, [])} & closure
    }
    assert not missing, f"imported by the product but not installed by `pip install .`: {missing}"
