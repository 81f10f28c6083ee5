"""A CA per processor of a project (LP53, LP4): one store keeps them all, an older store loads unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.emulator.leap.certs import (
    CA_NAME,
    PROCESSORS_KEY,
    LeapCredentials,
    load_or_create_project,
    project_credentials_from_dict,
    project_credentials_to_dict,
)

MAIN, POOL, GARAGE = "0A0B0C0D", "0A0B0C1E", "0A0B0C2F"


def test_lp53_every_processor_keeps_its_own_ca(tmp_path: Path) -> None:
    """LP53, LP4: one store holds a CA per processor; a store of one processor's CA loads as the first's, unchanged."""
    path = tmp_path / "state.json.leap.json"
    first, created = LeapCredentials.load_or_create(path)
    assert created
    before = path.read_text()
    kept, created = load_or_create_project(path, [MAIN])
    assert (kept, created) == ({MAIN: first}, False)
    assert path.read_text() == before  # nothing new: not written

    project_cas, created = load_or_create_project(path, [MAIN, POOL, GARAGE])
    assert created
    assert project_cas[MAIN] == first
    assert len({item.ca_cert_pem for item in project_cas.values()}) == 3
    assert project_cas[POOL].ca_certificate.subject.rfc4514_string() == (
        f"CN={CA_NAME} {POOL}"
    )
    stored = json.loads(path.read_text())
    assert (
        LeapCredentials.from_dict(stored) == first
    )  # a reader of one CA still reads the first's
    assert sorted(stored[PROCESSORS_KEY]) == [POOL, GARAGE]
    assert load_or_create_project(path, [MAIN, POOL, GARAGE]) == (project_cas, False)
    assert (
        project_credentials_from_dict(
            project_credentials_to_dict(project_cas, MAIN), MAIN
        )
        == project_cas
    )
    assert PROCESSORS_KEY not in project_credentials_to_dict({MAIN: first}, MAIN)


@pytest.mark.parametrize(
    ("processors", "message"),
    [
        ([], "LEAP credentials: processors is not an object"),
        ({POOL: []}, f"processor {POOL}: Unknown LEAP credentials format None"),
        ({POOL: {"format": 1}}, f"processor {POOL}: LEAP credentials: ca_key"),
    ],
)
def test_lp53_a_broken_store_of_cas_names_what_is_wrong(
    tmp_path: Path, processors: Any, message: str
) -> None:
    """LP53: a store whose other processors' CAs cannot be read is refused, naming the file and the processor."""
    path = tmp_path / "cas.json"
    data = LeapCredentials.generate().to_dict() | {PROCESSORS_KEY: processors}
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=f"{path}: {message}"):
        load_or_create_project(path, [MAIN, POOL])
    path.write_text("[]")
    with pytest.raises(ValueError, match="not an object"):
        load_or_create_project(path, [MAIN])
