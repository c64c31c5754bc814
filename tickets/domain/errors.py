"""Refusals: one exception type carrying an HTTP status, a machine-readable code and a human sentence."""

from __future__ import annotations


class TicketError(Exception):
    """A request the ticket loop refuses; nothing has been changed when it is raised.

    Parameters
    ----------
    status : HTTP status (400 bad input, 401/403 auth, 404 unknown, 409 not allowed now, 413 too large, 415 type).
    code : machine-readable code, e.g. ``"outside_district"``.
    message : one sentence for a person.
    """

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def to_dict(self) -> dict:
        """The error shape every JSON API of GridPulse answers: ``{"error": code, "message": sentence}``."""
        return {"error": self.code, "message": self.message}


def bad_request(code: str, message: str) -> TicketError:
    return TicketError(400, code, message)


def conflict(code: str, message: str) -> TicketError:
    return TicketError(409, code, message)


def not_found(code: str, message: str) -> TicketError:
    return TicketError(404, code, message)
