"""The ``gridpulse`` commands, one module each: ``serve``, ``process``, ``simulate``, ``demo`` (top level) and the
``district`` and ``tickets`` groups; :mod:`common` holds what the process commands share."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``process``, ``simulate`` and ``demo`` as top-level commands of ``app``."""
    from dashboard.commands.demo import demo
    from dashboard.commands.process import process
    from dashboard.commands.serve import serve
    from dashboard.commands.simulate import simulate

    app.command("serve")(serve)
    app.command("process")(process)
    app.command("simulate")(simulate)
    app.command("demo")(demo)
