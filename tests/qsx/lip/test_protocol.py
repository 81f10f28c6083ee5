"""Lines of LIP: splitting a byte stream (T2), parsing commands and reports, formatting (lip.md)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.homeworks_qsx.qsx.lip.protocol import (
    MAX_SUBNEGOTIATION_BYTES,
    DatabaseDateReport,
    DeviceReport,
    ErrorCode,
    ErrorReport,
    LineSplitter,
    LipError,
    Message,
    Operation,
    OutputReport,
    device_report,
    error_report,
    output_report,
    parse_decimal,
    parse_duration,
    parse_int,
    parse_line,
    parse_report,
    strip_prompts,
)

IAC, SB, SE, WILL, DO = 255, 250, 240, 251, 253


def feed_all(splitter: LineSplitter, *chunks: bytes) -> list[str | None]:
    """Feed chunks one after the other; return every line."""
    lines: list[str | None] = []
    for chunk in chunks:
        lines.extend(splitter.feed(chunk))
    return lines


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ((b"#OUTPUT,1,1,100\r\n",), ["#OUTPUT,1,1,100"]),
        ((b"a\nb\rc\r\nd\n",), ["a", "b", "c", "d"]),
        (
            (b"a\r", b"\nb\r\n"),
            ["a", "b"],
        ),  # CR LF split across packets is one line end
        ((b"#OUT", b"PUT,1", b",1\r\n"), ["#OUTPUT,1,1"]),
        ((b"a\r\n\r\nb\r\n",), ["a", "", "b"]),
        ((b"a\r\x00b\r\n",), ["a", "b"]),  # telnet CR NUL
        ((b"#OUT\x00PUT\r\n",), ["#OUTPUT"]),
        ((bytes([IAC, DO, 1, IAC, WILL, 3]) + b"login\r\n",), ["login"]),
        ((b"ab" + bytes([IAC, 241]) + b"cd\r\n",), ["abcd"]),  # IAC NOP
        (
            (b"x" + bytes([IAC, SB, 24, 0, 65, IAC, IAC, 66, IAC, SE]) + b"y\n",),
            ["xy"],
        ),  # sub-negotiation
        (
            (
                bytes([IAC]),
                bytes([SB, 24]),
                b"junk",
                bytes([IAC]),
                bytes([SE]),
                b"ok\n",
            ),
            ["ok"],
        ),
        (
            (b"\xffdo", b"\r\n"),
            ["o"],
        ),  # IAC and an unknown command byte are both dropped
        (
            (bytes([IAC, SB, 24]) + b"junk\r\n", b"?SYSTEM,10\r\n"),
            ["", "?SYSTEM,10"],
        ),  # an unfinished sub-negotiation ends at a line end
        (
            (bytes([IAC, SB, 24]) + b"j" * (MAX_SUBNEGOTIATION_BYTES - 1) + b"ok\n",),
            ["ok"],
        ),  # ... or at its length limit
    ],
)
def test_splitter_lines(chunks: tuple[bytes, ...], expected: list[str]) -> None:
    """T2: CR LF, CR and LF end lines; NUL and telnet negotiation are dropped, across packet boundaries."""
    assert feed_all(LineSplitter(), *chunks) == expected


def test_splitter_literal_iac_and_non_ascii() -> None:
    """IAC IAC is a data byte 255: never ASCII, it becomes a replacement character the parser refuses."""
    (line,) = LineSplitter().feed(b"#A" + bytes([IAC, IAC]) + b"\xe9\r\n")
    assert line is not None
    assert line.startswith("#A")
    with pytest.raises(LipError) as err:
        parse_line(line)
    assert err.value.code is ErrorCode.MALFORMED


def test_splitter_overlong_line_is_reported_once_and_discarded() -> None:
    """A line over the limit is reported once (None), discarded to its end, and the next line is intact."""
    splitter = LineSplitter(max_line=16)
    assert splitter.feed(b"x" * 10) == []
    assert splitter.feed(b"y" * 10) == [None]
    assert splitter.feed(b"z" * 1000) == []
    assert splitter.pending == ""
    assert splitter.feed(b"zz\r\n#OK\r\n") == ["#OK"]
    assert splitter.feed(b"a" * 16 + b"\n") == ["a" * 16]


def test_splitter_endless_stream_stays_bounded() -> None:
    """An endless line without a line end never grows the buffer past the limit."""
    splitter = LineSplitter(max_line=64)
    results = [splitter.feed(b"A" * 1000) for _ in range(200)]
    assert results[0] == [None]
    assert all(result == [] for result in results[1:])
    assert len(splitter.pending) == 0


def test_splitter_pending_and_clear() -> None:
    """The partial line is visible (prompts come without a line end) and can be dropped."""
    splitter = LineSplitter()
    assert splitter.feed(b"\r\nQNET> ") == [""]
    assert splitter.pending == "QNET> "
    splitter.clear_pending()
    assert splitter.pending == ""
    assert splitter.feed(b"~OUTPUT,1,1,0.00\r\n") == ["~OUTPUT,1,1,0.00"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.binary(max_size=200), max_size=20),
    st.integers(min_value=1, max_value=64),
)
def test_splitter_fuzz(chunks: list[bytes], max_line: int) -> None:
    """Whatever the bytes: no exception, no line longer than the limit, the buffer stays bounded."""
    splitter = LineSplitter(max_line=max_line)
    for chunk in chunks:
        for line in splitter.feed(chunk):
            assert (
                line is None
                or len(line.encode("ascii", errors="replace")) <= max_line * 3
            )
        assert len(splitter.pending) <= max_line


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=300))
def test_splitter_chunking_does_not_matter(data: bytes, cut: int) -> None:
    """Cutting the stream anywhere gives the same lines."""
    whole = LineSplitter().feed(data)
    assert feed_all(LineSplitter(), data[:cut], data[cut:]) == whole


def test_parse_line_normalises_case_spaces_and_zeros() -> None:
    """T2: case, spaces and leading zeros are ignored."""
    message = parse_line("  #output, 021 ,1, 100.00 ")
    assert message == Message(Operation.EXECUTE, "OUTPUT", ("021", "1", "100.00"))
    assert parse_int(message.fields[0]) == 21
    assert parse_line("?system,10") == Message(Operation.QUERY, "SYSTEM", ("10",))
    assert parse_line("~ERROR,6") == Message(Operation.REPORT, "ERROR", ("6",))
    assert parse_line("   ") is None
    assert parse_line("") is None


@pytest.mark.parametrize(
    "line",
    ["OUTPUT,1", "#", "#,1", "#1OUTPUT", "?OUT-PUT,1", "#OUTPUT\x07,1", "#OUTPUTé"],
)
def test_parse_line_malformed(line: str) -> None:
    """Lines that are not `#`/`?`/`~` and a command word are malformed (`~ERROR,5`)."""
    with pytest.raises(LipError) as err:
        parse_line(line)
    assert err.value.code is ErrorCode.MALFORMED
    assert "~ERROR,5" in str(err.value)


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("007", 7), ("-3", -3), ("+4", 4)]
)
def test_parse_int(text: str, value: int) -> None:
    """Integers, with leading zeros and signs."""
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "1.5", "x", "1e3", "--1"])
def test_parse_int_malformed(text: str) -> None:
    """Anything else is malformed."""
    with pytest.raises(LipError):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("100", 100.0), ("75.5", 75.5), (".5", 0.5), ("5.", 5.0), ("-1", -1.0)],
)
def test_parse_decimal(text: str, value: float) -> None:
    """Decimal numbers as levels are written."""
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["", ".", "1e2", "nan", "inf", "1,5", "0x10"])
def test_parse_decimal_malformed(text: str) -> None:
    """No exponents, NaN or infinities."""
    with pytest.raises(LipError) as err:
        parse_decimal(text)
    assert err.value.code is ErrorCode.MALFORMED


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("5", 5.0),
        ("1.6", 1.5),  # rounded down to a quarter second
        ("2.74", 2.5),
        (".3", 0.25),
        ("1:30", 90.0),
        ("01:02:03", 3723.0),
        ("0:00:01.500000", 1.5),  # str(timedelta), as pylutron writes fades
        ("4:00:00", 14400.0),
        ("14400", 14400.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Delay formats SS, SS.ss, MM:SS, HH:MM:SS, rounded down to a quarter second."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", ErrorCode.MALFORMED),
        ("1:2:3:4", ErrorCode.MALFORMED),
        ("a", ErrorCode.MALFORMED),
        ("-1", ErrorCode.MALFORMED),
        ("1:60", ErrorCode.OUT_OF_RANGE),
        ("1:60:00", ErrorCode.OUT_OF_RANGE),
        ("4:00:01", ErrorCode.OUT_OF_RANGE),
        ("14401", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_parse_duration_errors(text: str, code: ErrorCode) -> None:
    """Other shapes are malformed; values beyond 4 h or 59 min/s are out of range."""
    with pytest.raises(LipError) as err:
        parse_duration(text)
    assert err.value.code is code


def test_parse_duration_custom_maximum() -> None:
    """A pulse time has its own maximum."""
    assert parse_duration("3600", maximum=3600) == 3600
    with pytest.raises(LipError):
        parse_duration("3601", maximum=3600)


def test_formatting() -> None:
    """Reports carry integer ids, two-decimal levels, and integer DEVICE parameters only."""
    assert output_report(21, 100) == "~OUTPUT,21,1,100.00"
    assert output_report(5, 0.0) == "~OUTPUT,5,1,0.00"
    assert device_report(10, 85, 9, 3) == "~DEVICE,10,85,9,3"
    assert device_report(10, 11, 4) == "~DEVICE,10,11,4"
    assert error_report(ErrorCode.UNSUPPORTED) == "~ERROR,6"


def test_strip_prompts() -> None:
    """Prompts in front of a line are removed."""
    assert strip_prompts("QNET> QNET> ~OUTPUT,1,1,0.00") == "~OUTPUT,1,1,0.00"
    assert strip_prompts("GNET> ~ERROR,1") == "~ERROR,1"
    assert strip_prompts("~DEVICE,1,2,3") == "~DEVICE,1,2,3"


def _report(line: str) -> object:
    message = parse_line(line)
    assert message is not None
    return parse_report(message)


@pytest.mark.parametrize(
    ("line", "report"),
    [
        ("~OUTPUT,21,1,100.00", OutputReport(21, 100.0)),
        ("~OUTPUT,021,1,0", OutputReport(21, 0.0)),
        ("~DEVICE,10,85,9,3", DeviceReport(10, 85, 9, (3,))),
        ("~DEVICE,10,1,3", DeviceReport(10, 1, 3)),
        ("~ERROR,2", ErrorReport(2)),
        ("~SYSTEM,03/14/2026,12:30:00", DatabaseDateReport("03/14/2026", "12:30:00")),
        ("~OUTPUT,21,29,6", None),  # other actions are of no interest
        ("~OUTPUT,21,1", None),
        ("~OUTPUT,x,1,1", None),
        ("~DEVICE,10,85,9,1.5", None),
        ("~DEVICE,10", None),
        ("~ERROR", None),
        ("~ERROR,x", None),
        ("~SYSTEM,1,12:00:00", None),
        ("~SYSTEM,8,22.08", None),
        ("~MONITORING,5,1", None),
        ("~DETAILS,SN:1,IntegrationID:1", None),
        ("#OUTPUT,1,1,1", None),
    ],
)
def test_parse_report(line: str, report: object) -> None:
    """The client reads OUTPUT levels, DEVICE reports, errors and the `?SYSTEM,10` answer; the rest is None."""
    assert _report(line) == report
