"""Lazy public names of a package: each is imported from its module on first use.

The packages' `__init__` modules export the public API this way so that `homeworks-qsx --help` starts without
importing aiohttp, voluptuous and PyYAML (PEP 562 module `__getattr__`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import importlib
import sys


def lazy_exports(package: str, modules: Mapping[str, str]) -> Callable[[str], object]:
    """Return a module `__getattr__` resolving each name of `modules` (name -> relative module) in `package`."""

    def resolve(name: str) -> object:
        try:
            module = modules[name]
        except KeyError:
            raise AttributeError(
                f"module {package!r} has no attribute {name!r}"
            ) from None
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    return resolve
