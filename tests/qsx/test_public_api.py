"""The library's public API: the names `__all__` lists in `qsx`, `qsx.lip` and `qsx.leap`, imported on first use."""

from __future__ import annotations

from types import ModuleType

import pytest

from custom_components.homeworks_qsx import qsx
from custom_components.homeworks_qsx.qsx import errors, leap, lip
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer


@pytest.mark.parametrize("package", [qsx, lip, leap], ids=["qsx", "lip", "leap"])
def test_every_exported_name_resolves(package: ModuleType) -> None:
    """Each name of `__all__` is an attribute of the package, defined inside the library, none private."""
    assert package.__all__ == sorted(package.__all__)
    for name in package.__all__:
        assert not name.startswith("_")
        value = getattr(package, name)
        module = getattr(value, "__module__", qsx.__name__)
        assert module.startswith(qsx.__name__), (name, module)


def test_exports_are_the_modules_objects() -> None:
    """The package's names are the very objects of their modules, so `isinstance` and `except` agree."""
    assert qsx.Emulator is Emulator
    assert lip.LipServer is LipServer
    assert qsx.QsxError is errors.QsxError


@pytest.mark.parametrize("package", [qsx, lip, leap], ids=["qsx", "lip", "leap"])
def test_unknown_name_is_an_attribute_error(package: ModuleType) -> None:
    """A name the package does not export raises AttributeError naming it, as for any module."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = package.no_such_name
