"""LEAP, the native integration protocol of HomeWorks QSX: messages, the emulator's server, pairing, certificates."""
