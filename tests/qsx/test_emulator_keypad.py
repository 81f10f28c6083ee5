"""Keypads of the emulated house: button events, programming, LEDs (LP39, LP40, LP42, LP33 on a keypad)."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Fault,
    Gesture,
    IgnoredReason,
    LedState,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, EventLog
from .house import (
    ALL_OFF,
    BARE,
    DIMMER,
    HALL_KEYPAD,
    KEYPAD,
    LOWER,
    RAISE,
    SCENE,
    SENSOR_1,
    SHADE,
    SHADE_BUTTON,
    TOGGLE,
    house_description,
)


@pytest.fixture
def house(scheduler: ManualScheduler) -> Emulator:
    """Return the emulated house on the manual clock."""
    return Emulator(house_description(), scheduler=scheduler)


@pytest.fixture
def log(house: Emulator) -> EventLog:
    """Return a recorder of the house's events."""
    recorder = EventLog()
    house.events.subscribe(recorder)
    return recorder


def buttons(
    log: EventLog, serial: str = KEYPAD
) -> list[tuple[int | None, ButtonAction]]:
    """Return the button events of one keypad, as (button, action)."""
    return [(event.zone, event.value) for event in log.of(EventKind.BUTTON, serial)]


def leds(house: Emulator, serial: str = KEYPAD) -> dict[int, LedState]:
    """Return a keypad's LEDs."""
    return dict(house.state(serial).indicators)


def test_lp42_leds_evaluated_at_start(house: Emulator) -> None:
    """LP42: LEDs start from programming: the "all off" scene is active, the others not; shade not moving."""
    assert leds(house) == {
        SCENE: LedState.OFF,
        TOGGLE: LedState.OFF,
        RAISE: LedState.OFF,
        LOWER: LedState.OFF,
        SHADE_BUTTON: LedState.OFF,
        BARE: LedState.OFF,
        ALL_OFF: LedState.ON,
    }


def test_lp39_tap_runs_single_action(house: Emulator, log: EventLog) -> None:
    """LP39/LP40: a tap gives Press then Release and runs the scene; its LED lights, the "all off" LED goes out."""
    assert house.press(KEYPAD, SCENE) is None
    assert buttons(log) == [(SCENE, ButtonAction.PRESS), (SCENE, ButtonAction.RELEASE)]
    assert house.state(DIMMER).zones[0].level == 75
    assert house.state(A1).zones[0].on
    assert leds(house)[SCENE] is LedState.ON
    assert leds(house)[ALL_OFF] is LedState.OFF
    kinds = log.kinds()
    assert (
        kinds[0] is EventKind.BUTTON and kinds[-1] is EventKind.BUTTON
    )  # the scene runs between
    assert Event(EventKind.INDICATOR, KEYPAD, SCENE, LedState.ON) in log.events


def test_lp39_scene_pressed_again_changes_nothing(
    house: Emulator, log: EventLog
) -> None:
    """LP39, LP42: a scene pressed while it is active gives its Press and Release and nothing else."""
    house.press(KEYPAD, SCENE)
    log.clear()
    house.press(KEYPAD, SCENE)
    assert log.kinds() == [EventKind.BUTTON, EventKind.BUTTON]
    assert house.state(DIMMER).zones[0].level == 75
    assert leds(house)[SCENE] is LedState.ON


def test_lp42_led_follows_any_path(house: Emulator, log: EventLog) -> None:
    """LP42: a scene's LED goes out when one of its zones changes by any path (here a module's own button)."""
    house.press(KEYPAD, SCENE)
    house.set_level(
        DIMMER, 1, 74.8
    )  # within rounding of the scene's level: still active
    assert leds(house)[SCENE] is LedState.ON
    house.set_zone(A1, 1, False)
    assert leds(house)[SCENE] is LedState.OFF
    assert log.events[-1] == Event(EventKind.INDICATOR, KEYPAD, SCENE, LedState.OFF)


def test_lp42_client_write_lasts_until_evaluation(
    house: Emulator, log: EventLog
) -> None:
    """LP41/LP42: a client's LED write holds until a change of the button's zones re-evaluates it."""
    assert house.set_indicator(KEYPAD, SCENE, True) is None
    assert log.events == [Event(EventKind.INDICATOR, KEYPAD, SCENE, LedState.ON)]
    house.set_indicator(KEYPAD, SCENE, True)
    assert len(log.events) == 1
    house.set_level(DIMMER, 2, 10)  # not one of the scene's zones: the write holds
    assert leds(house)[SCENE] is LedState.ON
    house.set_level(DIMMER, 1, 10)  # one of them: evaluated again
    assert leds(house)[SCENE] is LedState.OFF
    assert (
        house.set_indicator(KEYPAD, BARE, True) is None
    )  # no programming: only clients drive it
    house.set_indicator(
        KEYPAD, RAISE, True
    )  # raise/lower buttons: programming gives their LED nothing
    house.set_level(DIMMER, 3, 40)
    assert leds(house)[RAISE] is LedState.ON
    house.set_level(DIMMER, 1, 75)
    assert leds(house)[BARE] is LedState.ON
    with pytest.raises(UnknownObjectError, match="no LED 8"):
        house.set_indicator(KEYPAD, 8, True)
    with pytest.raises(TypeError):
        house.set_indicator(KEYPAD, SCENE, 1)  # type: ignore[arg-type]


def test_toggle(house: Emulator) -> None:
    """TOGGLE: on to its levels unless all its zones are on, else off; its LED shows whether all are on."""
    house.press(KEYPAD, TOGGLE)
    assert house.state(DIMMER).zones[1].level == 50
    assert house.state(A1).zones[1].on
    assert leds(house)[TOGGLE] is LedState.ON
    house.press(KEYPAD, TOGGLE)
    assert house.state(DIMMER).zones[1].level == 0
    assert not house.state(A1).zones[1].on
    assert leds(house)[TOGGLE] is LedState.OFF
    house.set_zone(A1, 2, True)  # one on, one off: the next press turns both on
    assert leds(house)[TOGGLE] is LedState.OFF
    house.press(KEYPAD, TOGGLE)
    assert house.state(DIMMER).zones[1].level == 50


def test_lp39_hold_gives_long_press(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP39/LP40: a hold gives Press, LongHold after 2 s, and Release when let go; the press runs once."""
    assert house.press(KEYPAD, SCENE, Gesture.HOLD) is None
    assert buttons(log) == [(SCENE, ButtonAction.PRESS)]
    assert house.state(DIMMER).zones[0].level == 75
    scheduler.advance(1.9)
    assert buttons(log) == [(SCENE, ButtonAction.PRESS)]
    scheduler.advance(0.1)
    assert buttons(log)[-1] == (SCENE, ButtonAction.LONG_PRESS)
    scheduler.advance(10)
    assert len(buttons(log)) == 2
    house.press(KEYPAD, SCENE, Gesture.RELEASE)
    assert buttons(log)[-1] == (SCENE, ButtonAction.RELEASE)
    house.press(KEYPAD, SCENE, Gesture.RELEASE)  # nothing held: nothing happens
    assert len(buttons(log)) == 3


def test_lp39_short_hold_and_new_gesture(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP39: let go before 2 s, no LongHold; a new gesture on a held button lets it go first."""
    house.press(KEYPAD, BARE, Gesture.HOLD)
    scheduler.advance(1)
    house.press(KEYPAD, BARE, Gesture.RELEASE)
    scheduler.advance(5)
    assert buttons(log) == [(BARE, ButtonAction.PRESS), (BARE, ButtonAction.RELEASE)]
    log.clear()
    house.press(KEYPAD, BARE, Gesture.HOLD)
    house.press(KEYPAD, BARE, Gesture.TAP)
    scheduler.advance(5)
    assert buttons(log) == [
        (BARE, ButtonAction.PRESS),
        (BARE, ButtonAction.RELEASE),
        (BARE, ButtonAction.PRESS),
        (BARE, ButtonAction.RELEASE),
    ]


def test_lp39_double_tap(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP39: a double tap is a tap then MultiTap, Release; the programming runs once (a toggle stays on)."""
    house.press(KEYPAD, TOGGLE, Gesture.DOUBLE_TAP)
    assert buttons(log) == [
        (TOGGLE, ButtonAction.PRESS),
        (TOGGLE, ButtonAction.RELEASE),
        (TOGGLE, ButtonAction.MULTI_TAP),
        (TOGGLE, ButtonAction.RELEASE),
    ]
    assert house.state(DIMMER).zones[1].level == 50
    log.clear()
    house.press(KEYPAD, TOGGLE)
    scheduler.advance(0.5)
    house.press(
        KEYPAD, TOGGLE, Gesture.DOUBLE_TAP
    )  # within 0.5 s of a release: only the second tap
    assert buttons(log) == [
        (TOGGLE, ButtonAction.PRESS),
        (TOGGLE, ButtonAction.RELEASE),
        (TOGGLE, ButtonAction.MULTI_TAP),
        (TOGGLE, ButtonAction.RELEASE),
    ]
    assert house.state(DIMMER).zones[1].level == 0


def test_raise_lower_while_held(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """RAISE/LOWER buttons ramp their dimmed zones while held (LP27 pushes)."""
    house.press(KEYPAD, RAISE, Gesture.HOLD)
    scheduler.advance(2.5)
    house.press(KEYPAD, RAISE, Gesture.RELEASE)
    assert house.state(DIMMER).zones[2].level == 50
    assert [e.value for e in log.of(EventKind.LEVEL, DIMMER)] == [0.0, 50.0]
    house.press(KEYPAD, LOWER, Gesture.HOLD)
    scheduler.advance(1)
    house.press(KEYPAD, LOWER, Gesture.RELEASE)
    assert house.state(DIMMER).zones[2].level == 30
    house.press(KEYPAD, LOWER)  # a tap lets go at once: no change
    assert house.state(DIMMER).zones[2].level == 30


def test_open_stop_close_stop(house: Emulator, scheduler: ManualScheduler) -> None:
    """OPEN_STOP_CLOSE_STOP: open, stop, close, stop; its LED is on while the shade moves."""
    house.press(KEYPAD, SHADE_BUTTON)  # closed: opens
    assert leds(house)[SHADE_BUTTON] is LedState.ON
    scheduler.advance(5)
    house.press(KEYPAD, SHADE_BUTTON)  # stop
    assert house.state(SHADE).zones[0].level == 25
    assert leds(house)[SHADE_BUTTON] is LedState.OFF
    house.press(KEYPAD, SHADE_BUTTON)  # it last opened: closes
    scheduler.advance(1)
    house.press(KEYPAD, SHADE_BUTTON)
    assert house.state(SHADE).zones[0].level == 20
    house.press(KEYPAD, SHADE_BUTTON)  # it last closed: opens, to the end stop
    scheduler.advance(30)
    assert house.state(SHADE).zones[0].level == 100
    assert (
        leds(house)[SHADE_BUTTON] is LedState.OFF
    )  # a keypad move ends at its end stop
    house.press(KEYPAD, SHADE_BUTTON)  # fully open: closes
    scheduler.advance(30)
    assert house.state(SHADE).zones[0].level == 0
    house.set_level(SHADE, 1, 60)
    house.press(KEYPAD, SHADE_BUTTON)  # it last closed: opens
    scheduler.advance(2)
    house.press(KEYPAD, SHADE_BUTTON)
    assert house.state(SHADE).zones[0].level == 70


def test_lp33_stuck_shade_led_and_next_press(
    house: Emulator, scheduler: ManualScheduler
) -> None:
    """LP33 (HA #98365): after a Raise with no Stop, the shade button's LED stays on and its next press stops."""
    house.move(SHADE, 1, ShadeMove.RAISE)
    scheduler.advance(25)
    assert house.state(SHADE).zones[0].level == 100
    assert leds(house)[SHADE_BUTTON] is LedState.ON
    house.press(KEYPAD, SHADE_BUTTON)  # does nothing but stop
    assert leds(house)[SHADE_BUTTON] is LedState.OFF
    assert house.state(SHADE).zones[0].level == 100
    house.press(KEYPAD, SHADE_BUTTON)  # the one after it closes
    scheduler.advance(25)
    assert house.state(SHADE).zones[0].level == 0


def test_lp49_unreachable_keypad_and_targets(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """LP49: a keypad without power ignores presses and LED writes; an unreachable target is skipped."""
    house.press(KEYPAD, RAISE, Gesture.HOLD)
    house.simulate(KEYPAD, Fault.POWER, False)  # a hold in progress is forgotten
    scheduler.advance(3)
    assert (RAISE, ButtonAction.LONG_PRESS) not in buttons(log)
    assert house.press(KEYPAD, SCENE) is IgnoredReason.NO_POWER
    assert house.set_indicator(KEYPAD, SCENE, True) is IgnoredReason.NO_POWER
    assert buttons(log) == [(RAISE, ButtonAction.PRESS)]
    house.simulate(KEYPAD, Fault.POWER, True)
    house.move(DIMMER, 3, ShadeMove.STOP)
    house.simulate(DIMMER, Fault.LINK, False)
    house.simulate(A1, Fault.POWER, False)
    house.press(KEYPAD, SCENE)
    house.press(KEYPAD, RAISE)
    house.press(KEYPAD, SHADE_BUTTON)
    assert house.state(DIMMER).zones[0].level == 0
    assert house.state(SHADE).zones[0].level == 0


def test_second_keypad(house: Emulator) -> None:
    """A second keypad's buttons run their own programming; a toggle may drive a module's CCO."""
    house.press(HALL_KEYPAD, 1)
    assert house.state(DIMMER).zones[3].level == 20
    assert leds(house, HALL_KEYPAD) == {1: LedState.ON, 2: LedState.OFF}
    house.press(HALL_KEYPAD, 2)
    assert house.state(A1).cco_closed
    assert leds(house, HALL_KEYPAD)[2] is LedState.ON
    house.press(HALL_KEYPAD, 2)
    assert not house.state(A1).cco_closed


def test_scene_closes_and_opens_a_cco(house: Emulator) -> None:
    """A scene's target may be a module's CCO: level above 0 closes it, 0 opens it."""
    house.set_cco(A1, True)
    assert house.state(A1).cco_closed
    assert leds(house)[ALL_OFF] is LedState.OFF
    house.press(KEYPAD, ALL_OFF)
    assert not house.state(A1).cco_closed
    assert leds(house)[ALL_OFF] is LedState.ON


def test_close_stops_motions_and_holds(
    house: Emulator, log: EventLog, scheduler: ManualScheduler
) -> None:
    """`close()` stops a ramp where it is (with its LEVEL) and lets a held button go without events."""
    house.press(KEYPAD, RAISE, Gesture.HOLD)
    scheduler.advance(1)
    house.close()
    assert house.state(DIMMER).zones[2].level == 20
    assert [e.value for e in log.of(EventKind.LEVEL, DIMMER)] == [0.0, 20.0]
    scheduler.advance(5)
    assert buttons(log) == [(RAISE, ButtonAction.PRESS)]
    assert house.diagnostics()["buttons_held"] == 0


@pytest.mark.parametrize(
    ("serial", "button", "error"),
    [
        (KEYPAD, 8, UnknownObjectError),
        (SENSOR_1, 1, UnknownObjectError),
        (A1, 1, UnknownObjectError),
    ],
)
def test_press_unknown(
    house: Emulator, serial: str, button: int, error: type[Exception]
) -> None:
    """Only a keypad's buttons can be pressed."""
    with pytest.raises(error):
        house.press(serial, button)


def test_press_bad_gesture(house: Emulator) -> None:
    """A gesture is one of `Gesture`."""
    with pytest.raises(ValueError, match="wave"):
        house.press(KEYPAD, SCENE, "wave")  # type: ignore[arg-type]
