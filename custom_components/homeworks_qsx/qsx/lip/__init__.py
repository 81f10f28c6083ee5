"""The Lutron Integration Protocol: the emulator's network face (server) and the client of a live processor.

`protocol` parses and formats lines, `dbxml` builds and parses the project database, `server` serves an
`Emulator` over LIP and HTTP, `client` speaks to a processor, and `backend` offers the client as a `QsxBackend`.
"""
