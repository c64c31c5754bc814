"""The ``gridpulse`` command: one Typer app, with each command group in its own module under ``commands/``."""

from __future__ import annotations

import sys


def _serve_on_gevent(argv: list[str]) -> bool:
    """``gridpulse serve`` runs on gevent unless ``--server threading`` or ``GRIDPULSE_WEB_SERVER=threading``."""
    if argv[1:2] != ["serve"]:
        return False
    from dashboard.settings import AccessSettings, SettingsError

    try:
        choice = AccessSettings.from_env().web_server
    except SettingsError:
        choice = "gevent"  # `serve` itself names the bad value
    for i, arg in enumerate(argv):
        if arg == "--server" and i + 1 < len(argv):
            choice = argv[i + 1]
        elif arg.startswith("--server="):
            choice = arg.split("=", 1)[1]
    return choice == "gevent"


if __name__ in ("__main__", "dashboard.cli") and _serve_on_gevent(sys.argv):
    # Before anything imports socket, ssl or threading's users: gevent must patch them first (gunicorn does the same).
    from gevent import monkey

    monkey.patch_all()

import typer  # noqa: E402

from dashboard import commands  # noqa: E402
from dashboard.commands import district, tickets  # noqa: E402

app = typer.Typer(
    name="gridpulse",
    help="GridPulse: a real-time command center for urban grid management (网格化管理).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(district.app, name="district")
app.add_typer(tickets.app, name="tickets")
commands.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
