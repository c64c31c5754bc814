"""The ``gridpulse`` command: one Typer app, with each command group in its own module under ``commands/``."""

from __future__ import annotations

import typer

from dashboard.commands import district, live, tickets

app = typer.Typer(
    name="gridpulse",
    help="GridPulse: a real-time command center for urban grid management (网格化管理).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(district.app, name="district")
app.add_typer(tickets.app, name="tickets")
live.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
