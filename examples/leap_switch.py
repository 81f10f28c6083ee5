"""Switch a zone of the emulator with a stock pylutron-caseta (the library behind Home Assistant's lutron_caseta).

    python examples/leap_switch.py CERT_DIR [HOST] [ID]

CERT_DIR holds the three files `issue-cert` writes; the script logs in, lists the switches, turns the first one on,
waits for the processor's push, then turns it off again.
"""

import asyncio
from pathlib import Path
import sys

from pylutron_caseta.smartbridge import Smartbridge


async def main(folder: Path, host: str, client_id: str) -> None:
    """Log in, switch the first zone on and off, print what the processor reports."""
    files = [
        str(folder / f"lutron_caseta-{client_id}-{kind}.pem")
        for kind in ("key", "cert", "ca")
    ]
    bridge = Smartbridge.create_tls(host, *files)
    await bridge.connect()
    switches = bridge.get_devices_by_domain("switch")
    print(f"Logged in: {len(switches)} switches")
    zone = switches[0]
    changed = asyncio.Event()
    bridge.add_subscriber(zone["device_id"], changed.set)
    for level in (100, 0):
        changed.clear()
        await bridge.set_value(zone["device_id"], level)
        await asyncio.wait_for(changed.wait(), 5)
        print(f"{zone['name']}: {'on' if bridge.is_on(zone['device_id']) else 'off'}")
    await bridge.close()


if __name__ == "__main__":
    asyncio.run(
        main(
            Path(sys.argv[1]),
            *(sys.argv[2:3] or ["127.0.0.1"]),
            *(sys.argv[3:4] or ["127.0.0.1"]),
        )
    )
