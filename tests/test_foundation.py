"""The integration loads into Home Assistant and the library stays independent of it."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import textwrap

from custom_components.homeworks_qsx.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

ROOT = Path(__file__).resolve().parents[1]


async def test_component_sets_up(hass: HomeAssistant) -> None:
    """The integration is found among the custom integrations and sets up."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


def test_library_never_imports_homeassistant() -> None:
    """Every module of the library imports with homeassistant made unimportable."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "homeassistant" or name.startswith("homeassistant."):
                    raise ImportError("homeassistant is blocked")
                return None

        sys.meta_path.insert(0, Block())
        sys.modules.pop("custom_components.homeworks_qsx", None)
        import types
        # Load the library without running the integration's __init__ (which uses HA).
        pkg = types.ModuleType("custom_components.homeworks_qsx")
        pkg.__path__ = ["custom_components/homeworks_qsx"]
        sys.modules["custom_components.homeworks_qsx"] = pkg
        import custom_components.homeworks_qsx.qsx as lib
        names = [lib.__name__]
        for info in pkgutil.walk_packages(lib.__path__, lib.__name__ + "."):
            importlib.import_module(info.name)
            names.append(info.name)
        assert not any(m.startswith("homeassistant") for m in sys.modules), "leaked"
        print(len(names))
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
    assert int(result.stdout.strip()) >= 1
