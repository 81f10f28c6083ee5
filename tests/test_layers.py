"""The layers keep to their sides.

Home Assistant reaches the library through its public API only, and inside the library the client side (everything
but `qsx/emulator/` and the command line) never imports the emulator side.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
from pathlib import Path
import subprocess
import sys
import textwrap

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


def test_client_side_never_imports_the_emulator_side() -> None:
    """Every library module outside `qsx/emulator/` (and the command line) imports without loading the emulator side.

    A live client needs the model, errors, events, the connection and the LIP and LEAP clients; the emulator, its
    servers, its certificate authority and its pairing server stay unloaded.
    """
    script = textwrap.dedent(
        """
        import importlib, pathlib, sys, types

        # The library alone, without the integration's __init__ (which imports Home Assistant).
        package = types.ModuleType("custom_components.homeworks_qsx")
        package.__path__ = ["custom_components/homeworks_qsx"]
        sys.modules["custom_components.homeworks_qsx"] = package
        import custom_components.homeworks_qsx.qsx as lib

        emulator_side = (lib.__name__ + ".emulator", lib.__name__ + ".__main__")
        root = pathlib.Path(lib.__path__[0])
        # Found on disk: walking the packages would import the emulator's to list them.
        modules = [
            ".".join((lib.__name__, *path.relative_to(root).with_suffix("").parts))
            .removesuffix(".__init__")
            for path in sorted(root.rglob("*.py"))
        ]
        client_side = [name for name in modules if not name.startswith(emulator_side)]
        for name in client_side:
            importlib.import_module(name)
        loaded = sorted(name for name in sys.modules if name.startswith(emulator_side))
        assert not loaded, loaded
        print(len(client_side))
        """
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # model, errors, events, connection, backend and the LIP and LEAP clients at least.
    assert int(result.stdout.strip()) >= 20
