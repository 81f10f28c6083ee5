"""The layers keep to their sides: Home Assistant reaches the library through its public API only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "homeworks_qsx"
LIBRARY = "custom_components.homeworks_qsx.qsx"


def _library_imports(path: Path) -> Iterator[tuple[int, str, str]]:
    """Yield (line, library module, name) for each name a module of the integration imports from the library."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1 and node.module is not None:
            module = f"custom_components.homeworks_qsx.{node.module}"
        elif node.level == 0 and node.module is not None:
            module = node.module
        else:
            continue
        if module == LIBRARY or module.startswith(f"{LIBRARY}."):
            for alias in node.names:
                yield node.lineno, module, alias.name
        elif node.level == 1 and node.module is None:
            assert all(alias.name != "qsx" for alias in node.names), path


HA_MODULES = sorted(INTEGRATION.glob("*.py"))


@pytest.mark.parametrize("path", HA_MODULES, ids=[path.name for path in HA_MODULES])
def test_home_assistant_layer_uses_only_public_names(path: Path) -> None:
    """Every library name the Home Assistant layer imports is in `__all__` of `qsx` or of one of its packages."""
    for line, module, name in _library_imports(path):
        package = importlib.import_module(module)
        assert hasattr(package, "__path__"), (
            f"{path.name}:{line} imports {name} from the module {module}, not from a package's public API"
        )
        assert name in package.__all__, (
            f"{path.name}:{line} imports {name}, which {module} does not export"
        )
