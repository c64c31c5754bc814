"""The case loop's rules, with no I/O: states and actions, who may take them, working time, limits and lights.

- :mod:`tickets.domain.states` / :mod:`tickets.domain.machine`: the states, actions and who may take them.
- :mod:`tickets.domain.actors`: who acts (role and scope).
- :mod:`tickets.domain.calendar` / :mod:`tickets.domain.limits` / :mod:`tickets.domain.deadlines`: working time,
  time limits, due instants and traffic lights.
- :mod:`tickets.domain.catalog`: categories and departments.
- :mod:`tickets.domain.effects`: what a transition writes.
- :mod:`tickets.domain.errors`: :class:`~tickets.domain.errors.TicketError`, the loop's one refusal.
"""
