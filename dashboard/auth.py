"""Who is asking: bearer tokens → principals (admin, street supervisor, worker, department).

Tokens are configured, never hard-coded, and resolved as explicit argument > environment > nothing:

``GRIDPULSE_ADMIN_TOKEN``   the district center's token (sees everything)
``GRIDPULSE_STREET_TOKENS`` ``"120110001=tokA,120110002=tokB"``: one street supervisor token per street
``GRIDPULSE_TOKENS_FILE``   a JSON file ``{"tokens": [{"token", "role", "street_code", "worker_id", "department", "name"}]}``

Examples
--------
>>> reg = TokenRegistry.from_mapping(admin="s3cret", streets={"120110001": "tokA"})
>>> reg.principal("tokA").street_code
'120110001'
>>> reg.principal("nope") is None
True
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROLES = ("admin", "street", "worker", "department")
TOKEN_COOKIE = "gp_token"  # set by dashboard.screens.access on a page opened with a valid ?token=
MIN_TOKEN_CHARS = 8


class TokenConfigError(ValueError):
    """The token configuration is unusable (a bad file, an unknown role, a token too short)."""


@dataclass(frozen=True)
class Principal:
    """The caller behind a token. ``street_code`` is set for street supervisors, ``worker_id`` for workers."""

    role: str
    name: str = ""
    street_code: str | None = None
    worker_id: str | None = None
    department: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_street(self, street_code: str | None) -> bool:
        """Admins see every street (``None`` = the whole district); a street supervisor only their own."""
        if self.is_admin:
            return True
        return self.role == "street" and street_code is not None and street_code == self.street_code

    def scope_street(self, requested: str | None = None) -> str | None:
        """The street this principal's live view is limited to (``None`` = the district).

        Raises ``PermissionError`` when the principal asks for a street it cannot see.
        """
        if self.is_admin:
            return requested or None
        if self.role == "street":
            if requested and requested != self.street_code:
                raise PermissionError(f"street token for {self.street_code} cannot see street {requested}")
            return self.street_code
        raise PermissionError(f"role {self.role!r} has no live view")


class TokenRegistry:
    """token → :class:`Principal`; comparisons in constant time."""

    def __init__(self, entries: Iterable[tuple[str, Principal]] = ()):
        self._by_token: dict[str, Principal] = {}
        for token, principal in entries:
            self.add(token, principal)

    def add(self, token: str, principal: Principal) -> None:
        if not token or len(token) < MIN_TOKEN_CHARS:
            raise TokenConfigError(f"a token must be at least {MIN_TOKEN_CHARS} characters ({principal.role})")
        if principal.role not in ROLES:
            raise TokenConfigError(f"unknown role {principal.role!r}; expected one of {', '.join(ROLES)}")
        if principal.role == "street" and not principal.street_code:
            raise TokenConfigError("a street token needs a street_code")
        self._by_token[token] = principal

    def __len__(self) -> int:
        return len(self._by_token)

    @property
    def has_admin(self) -> bool:
        return any(p.is_admin for p in self._by_token.values())

    def principal(self, token: str | None) -> Principal | None:
        if not token:
            return None
        found = None
        # Compare against every token so the time taken does not reveal a prefix match.
        for known, principal in self._by_token.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = principal
        return found

    def authenticate(self, request) -> Principal | None:
        """The principal behind a Flask request: ``Authorization: Bearer …``, else ``?token=``, else the page cookie."""
        return self.principal(request_token(request))

    @classmethod
    def from_mapping(
        cls, *, admin: str | None = None, streets: Mapping[str, str] | None = None, extra: Iterable[dict] = ()
    ) -> TokenRegistry:
        reg = cls()
        if admin:
            reg.add(admin, Principal("admin", name="区网格化管理中心"))
        for street_code, token in (streets or {}).items():
            reg.add(token, Principal("street", name=f"街道 {street_code}", street_code=street_code))
        for item in extra:
            reg.add(str(item.get("token", "")), _principal_from_dict(item))
        return reg

    @classmethod
    def from_env(cls, *, admin: str | None = None, environ: Mapping[str, str] | None = None) -> TokenRegistry:
        """Tokens from ``GRIDPULSE_ADMIN_TOKEN``, ``GRIDPULSE_STREET_TOKENS`` and ``GRIDPULSE_TOKENS_FILE``."""
        from dashboard.settings import AccessSettings

        s = AccessSettings.from_env(environ)
        streets = parse_street_tokens(s.street_tokens)
        extra = load_tokens_file(s.tokens_file) if s.tokens_file else []
        return cls.from_mapping(admin=admin or s.admin_token or None, streets=streets, extra=extra)


def parse_street_tokens(text: str) -> dict[str, str]:
    """``"120110001=tokA,120110002=tokB"`` → ``{"120110001": "tokA", ...}``."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        code, sep, token = part.partition("=")
        if not sep or not code.strip() or not token.strip():
            raise TokenConfigError(f"GRIDPULSE_STREET_TOKENS: expected STREET_CODE=TOKEN, got {part!r}")
        out[code.strip()] = token.strip()
    return out


def load_tokens_file(path: str | Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TokenConfigError(f"GRIDPULSE_TOKENS_FILE not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise TokenConfigError(f"GRIDPULSE_TOKENS_FILE is not valid JSON: {path}: {exc}") from exc
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, list) or not all(isinstance(t, dict) for t in tokens):
        raise TokenConfigError(f'{path}: expected {{"tokens": [{{"token": …, "role": …}}, …]}}')
    return tokens


def _principal_from_dict(item: dict) -> Principal:
    return Principal(
        role=str(item.get("role", "")),
        name=str(item.get("name") or ""),
        street_code=item.get("street_code"),
        worker_id=item.get("worker_id"),
        department=item.get("department"),
    )


def request_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token") or request.cookies.get(TOKEN_COOKIE) or None


def generate_token() -> str:
    """A fresh random token (for ``gridpulse demo`` when no admin token is configured)."""
    return secrets.token_urlsafe(18)
