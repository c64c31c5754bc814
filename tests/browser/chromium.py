"""What every browser test shares: Debian's chromium, its flags (DESIGN.md), where screenshots go."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
SHOTS = Path("var/screenshots")
INGEST_KEY = "ingest-key-for-browser-test"
