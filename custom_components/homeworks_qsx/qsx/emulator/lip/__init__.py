"""The emulator's LIP face.

The server (`server`, `session`), what a command does (`commands`), the reports a change causes (`reports`), the
HTTP database (`http`) and the `DbXmlInfo.xml` it serves (`dbxml_build`).
"""
