"""The simulator that plays a district's grid workers against a running server over HTTP.

- :mod:`streams.simulation.model`: ``SimSettings``, ``PatrolModel`` (pure, numpy) and ``local_sim_start``;
- :mod:`streams.simulation.sender`: ``HttpSender`` (batch API or OsmAnd, retries on 503) and ``SendStats``;
- :mod:`streams.simulation.loop`: ``run``, which ticks the model on the wall clock and sends what is due.
"""
