"""The largest house of the benchmarks (`benchmarks/house.py`): two full QS links of every wired kind, valid.

What the benchmarks' figures claim about it (P3: 99 devices and at most 512 zones per QS link; keypads with
buttons and LEDs; a scene on every keypad's first button, which the keypad press benchmark presses) is checked
here, on the description the emulator serves.
"""

from __future__ import annotations

from collections import Counter
import json
from pathlib import Path

from benchmarks.house import (
    SCENE_BUTTON,
    house_data,
    largest_house,
    largest_project,
    project_data,
    write_house,
)
from custom_components.homeworks_qsx.qsx.const import (
    LINK_DEVICE_LIMIT,
    QS_LINK_ZONE_LIMIT,
    ProgrammingModel,
)
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.model import DeviceKind, InputType


def test_largest_house_fills_both_qs_links_within_their_zone_limit() -> None:
    """P3: each link holds its 99 devices, of every wired kind, and fewer zones than a QS link's 512."""
    house = largest_house()
    for link in (1, 2):
        devices = [device for device in house.devices if device.link == link]
        assert len(devices) == LINK_DEVICE_LIMIT
        assert {device.kind for device in devices} == {
            DeviceKind.SWITCHING_MODULE,
            DeviceKind.DIMMING_MODULE,
            DeviceKind.SHADE,
            DeviceKind.KEYPAD,
        }
        assert sum(len(device.zones) for device in devices) <= QS_LINK_ZONE_LIMIT
    kinds = Counter(device.kind for device in house.devices)
    assert kinds[DeviceKind.OCCUPANCY_SENSOR] > 0
    assert kinds[DeviceKind.TIMECLOCK] == 1


def test_every_keypad_has_buttons_with_leds_and_a_scene_first() -> None:
    """LP36, LP42: keypads with buttons and LEDs; the pressed button is a scene (single action) with targets."""
    keypads = [
        device for device in largest_house().devices if device.kind is DeviceKind.KEYPAD
    ]
    assert (
        len(keypads) == 2 * 18 + 1
    )  # one per room, and the processor's Homeowner keypad
    for keypad in keypads:
        assert all(button.input_type is InputType.BUTTON for button in keypad.buttons)
        assert keypad.indicators
        scene = keypad.input(SCENE_BUTTON).programming
        assert scene is not None
        assert scene.model is ProgrammingModel.SINGLE_ACTION
        assert scene.targets


def test_the_written_house_loads_as_the_same_description(tmp_path: Path) -> None:
    """The file the benchmarks serve (`serve --system`) is the description they count on."""
    path = write_house(tmp_path / "house.json")
    assert json.loads(path.read_text(encoding="utf-8")) == house_data()
    assert load_description(path) == largest_house()


def test_the_largest_project_is_the_house_once_per_processor(tmp_path: Path) -> None:
    """P3, P4, L3: each processor of the two-processor project fills its two QS links as the house does, in one id space."""
    project = largest_project(2)
    house = largest_house()
    assert len(project.processors) == 2
    for processor in project.processors:
        serial = processor.serial if processor is not project.processor else None
        for link in (1, 2):
            devices = [
                device
                for device in project.devices
                if device.processor == serial and device.link == link
            ]
            assert len(devices) == LINK_DEVICE_LIMIT
            assert sum(len(device.zones) for device in devices) <= QS_LINK_ZONE_LIMIT
    kinds = Counter(device.kind for device in project.devices)
    house_kinds = Counter(device.kind for device in house.devices)
    for kind in (DeviceKind.SWITCHING_MODULE, DeviceKind.KEYPAD, DeviceKind.SHADE):
        # The Homeowner keypad is the first processor's only.
        extra = 1 if kind is DeviceKind.KEYPAD else 0
        assert kinds[kind] == 2 * (house_kinds[kind] - extra) + extra
    serials = [device.serial for device in project.devices]
    assert len(set(serials)) == len(serials)
    path = write_house(tmp_path / "project.json", 2)
    assert json.loads(path.read_text(encoding="utf-8")) == project_data(2)
    assert load_description(path) == project
