"""Tests of LEAP: the emulator's face (messages, server, pairing) and the client and backend."""
