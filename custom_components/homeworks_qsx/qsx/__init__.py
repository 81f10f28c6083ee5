"""Lutron HomeWorks QSX device library: model, emulator and integration protocol.

Nothing in this package imports Home Assistant, so it can be used and published on its own.
"""
