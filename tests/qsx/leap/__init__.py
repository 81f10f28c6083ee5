"""Tests of LEAP: messages, the emulator's server, pairing, and the client and backend."""
