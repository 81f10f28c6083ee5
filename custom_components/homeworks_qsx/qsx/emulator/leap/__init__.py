"""The emulator's LEAP face.

The server (`server`, `handlers`, `resources`), its TLS listener (`tls`), its certificate authority (`certs`) and
the pairing port (`pairing_server`).
"""
