"""The library as its own wheel: built from this repository, installed where Home Assistant is not, and served.

The wheel `pyhomeworksqsx` maps the import package onto custom_components/homeworks_qsx/qsx. The test builds it
with uv (scripts/setup installs uv into .python/tools) without build isolation, against the setuptools of .venv,
installs it with its declared dependencies into a fresh virtual environment offline (versions from
requirements.lock, which scripts/setup left in uv's cache), then runs the console script `homeworks-qsx`: `--help`,
and `serve` answering a LIP session. Nothing here needs the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

from tests.qsx.serving import served_process

from .lip.conftest import RawSession

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "custom_components" / "homeworks_qsx" / "qsx"
DISTRIBUTION = "pyhomeworksqsx"
SCRIPT = "homeworks-qsx"
STEP_TIMEOUT = 120
SERVING = re.compile(r"LIP on [\d.]+:(\d+), database on http://[\d.]+:(\d+)/")


def find_uv() -> Path | None:
    """Return the uv that scripts/setup installs, or one on PATH."""
    bundled = ROOT / ".python" / "tools" / "bin" / "uv"
    if bundled.is_file():
        return bundled
    found = shutil.which("uv")
    return Path(found) if found else None


def run(*args: str | Path, timeout: float = STEP_TIMEOUT) -> str:
    """Run a step of the build; fail with its output when it fails."""
    result = subprocess.run(  # noqa: S603
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class InstalledWheel:
    """The built wheel and the environment it is installed in."""

    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.venv / "bin" / "python"

    @property
    def script(self) -> Path:
        """The console script."""
        return self.venv / "bin" / SCRIPT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """Build the wheel from a copy of the sources and install it into a new environment without Home Assistant."""
    uv = find_uv()
    if uv is None:
        pytest.skip(
            "uv, the build tool, is not installed (bash scripts/setup installs it)"
        )
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    # A copy, so the build's scratch files (build/, *.egg-info) never land in the working tree.
    shutil.copytree(
        LIBRARY,
        source / LIBRARY.relative_to(ROOT),
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    run(
        uv,
        "build",
        "--quiet",
        "--wheel",
        "--no-build-isolation",
        "--python",
        sys.executable,
        "--out-dir",
        work / "dist",
        source,
    )
    (wheel,) = (work / "dist").glob(f"{DISTRIBUTION}-*.whl")
    venv = work / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--offline",
        "--python",
        venv / "bin" / "python",
        "--constraint",
        ROOT / "requirements.lock",
        wheel,
    )
    return InstalledWheel(wheel, venv)


def test_wheel_holds_the_whole_library(installed: InstalledWheel) -> None:
    """Every module and the py.typed marker of the library directory are in the wheel, under `pyhomeworksqsx`."""
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())
    expected = {
        f"{DISTRIBUTION}/{path.relative_to(LIBRARY).as_posix()}"
        for path in LIBRARY.rglob("*")
        if path.suffix in {".py", ".typed"} and "__pycache__" not in path.parts
    }
    assert expected <= names, sorted(expected - names)
    assert not any(name.startswith("custom_components/") for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(installed.wheel) as archive:
        assert (
            f"{SCRIPT} = {DISTRIBUTION}.__main__:main"
            in archive.read(entry_points).decode()
        )


def test_environment_has_no_home_assistant(installed: InstalledWheel) -> None:
    """The environment the wheel runs in cannot import Home Assistant: the library does not need it."""
    found = run(
        installed.python,
        "-c",
        "import importlib.util; print(importlib.util.find_spec('homeassistant') is None)",
    )
    assert found.strip() == "True"


def test_help(
    installed: InstalledWheel, record_property: Callable[[str, object], None]
) -> None:
    """`homeworks-qsx --help` names the script and its command; its time is recorded, not asserted."""
    started = time.perf_counter()
    output = run(installed.script, "--help", timeout=60)
    elapsed = time.perf_counter() - started
    record_property("help_seconds", round(elapsed, 3))
    print(f"{SCRIPT} --help took {elapsed:.3f} s")  # noqa: T201
    assert output.startswith(f"usage: {SCRIPT} ")
    assert "serve" in output


def test_command_line_loads_no_network_stack(installed: InstalledWheel) -> None:
    """Importing the command line loads neither aiohttp nor voluptuous nor PyYAML: `--help` starts at once."""
    loaded = run(
        installed.python,
        "-c",
        "import sys, pyhomeworksqsx.__main__; print(sorted({'aiohttp', 'voluptuous', 'yaml'} & set(sys.modules)))",
    )
    assert loaded.strip() == "[]"


async def test_serve_answers_lip(
    installed: InstalledWheel, socket_enabled: None
) -> None:
    """`homeworks-qsx serve --modules 4` serves LIP: a session logs in and reads a zone; SIGTERM stops it."""
    argv: list[str | Path] = [
        installed.script,
        "serve",
        "--modules",
        "4",
        "--lip-port",
        "0",
        "--http-port",
        "0",
        # LEAP is served too unless told otherwise: any free ports, not a real processor's 8081/8083.
        "--leap-port",
        "0",
        "--pairing-port",
        "0",
        "--password",
        "secret",
    ]
    async with served_process(argv) as line:
        match = SERVING.search(line)
        assert match, line
        assert "4 modules" in line
        session = await RawSession.open(int(match[1]))
        await session.login("lutron", "secret")
        assert await session.command("?OUTPUT,11,1") == ["~OUTPUT,11,1,0.00"]
        await session.close()
