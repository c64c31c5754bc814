"""Page access: a valid ``?token=`` on a page becomes an HttpOnly cookie, so every later Dash request of that
browser (layout, page content, callbacks) carries the caller without the token ever sitting in a URL again.

The browser code still keeps the token in sessionStorage for its Socket.IO ``auth``; the cookie is what the
server-side callbacks authenticate with (:func:`dashboard.auth.request_token` reads it last).
"""

from __future__ import annotations

from flask import Flask, request

from dashboard.auth import TOKEN_COOKIE

COOKIE_MAX_AGE_S = 12 * 3600  # a wall screen runs all day; the next shift opens the printed URL again


def install_token_cookie(server: Flask, tokens) -> None:
    @server.after_request
    def _remember_token(resp):
        token = request.args.get("token")
        if token and request.method == "GET" and resp.mimetype == "text/html" and tokens.principal(token):
            resp.set_cookie(TOKEN_COOKIE, token, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="Strict")
        return resp
