"""Tests of the LEAP face of the emulator."""
