"""What every screen shares: the caller, the language, the page config element, the header, definitions on hover.

Screens are static layouts plus browser code; the data they draw arrives by Socket.IO (live) or by a few slow
server callbacks (the ticket figures). Everything here is small and pure except :func:`caller`, which reads the
Flask request of the page or callback being served.
"""

from __future__ import annotations

import json
from typing import Any

from dash import html
from flask import current_app, has_request_context, request

from dashboard.screens.localtime import zone
from dashboard.screens.static import asset_urls
from streams.contract import browser_contract


def lang_of(value: str | None) -> str:
    """``?lang=en`` → ``"en"``; anything else is the default, zh-CN."""
    return "en" if (value or "").lower().startswith("en") else "zh-CN"


def tr(pair: tuple[str, str], lang: str) -> str:
    """``(zh, en)`` → the text of ``lang``."""
    return pair[1] if lang == "en" else pair[0]


def web_context():
    """The wired web process (:class:`dashboard.app.WebContext`) of the app serving this request."""
    return current_app.extensions["gridpulse"]


def caller():
    """The :class:`dashboard.auth.Principal` behind the current request (cookie, bearer or ``?token=``), or None."""
    if not has_request_context():
        return None
    return web_context().tokens.authenticate(request)


def page_access(street: str | None, lang: str):
    """``(principal, scope, refusal)`` of the page being served: the caller, the street its view is held to
    (``None`` = the district), and, when the page must not be shown, the layout to return instead."""
    principal = caller()
    if principal is None:
        return None, None, auth_required(lang)
    try:
        return principal, principal.scope_street(street or None), None
    except PermissionError as exc:
        return principal, None, forbidden(str(exc), lang)


def info(definition: str, **attrs) -> html.Span:
    """The ⓘ that shows a number's definition on hover or keyboard focus."""
    return html.Span("ⓘ", className="gp-info", title=definition, tabIndex="0", **{"data-tip": definition}, **attrs)


def page_config(screen: str, files: list[str], config: dict[str, Any], lang: str) -> html.Div:
    """The hidden element the loader and the screen's browser code read: which files to load, and the config
    (with the push contract, so the browser never keeps a copy of namespace, events or row fields, and the time zone
    the browser shows times in)."""
    timezone = zone().key  # the district's one setting (GRIDPULSE_TIMEZONE)
    payload = {"screen": screen, "lang": lang, "timezone": timezone, "contract": browser_contract(), **config}
    return html.Div(id=f"{screen}-config", hidden=True, className="gp-screen-config", **{
        "data-gp-screen": screen,
        "data-gp-assets": json.dumps(asset_urls(screen, files)),
        "data-config": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
    })


def clock(lang: str) -> html.Div:
    """Date, weekday and time in the page config's time zone (Asia/Shanghai by default), ticked by
    ``assets/gp-core.js``."""
    return html.Div(className="gp-clock", title=tr(("北京时间 (Asia/Shanghai)", "Beijing time (Asia/Shanghai)"), lang),
                    children=[html.Span("--", className="gp-date", **{"data-gp-clock": "date"}),
                              html.Span("--:--:--", className="gp-time", **{"data-gp-clock": "time"})])


def lang_switch(lang: str) -> html.A:
    """A link to the same page in the other language (keeps the other query parameters in the browser)."""
    other = "zh-CN" if lang == "en" else "en"
    return html.A("中文" if other == "zh-CN" else "EN", href=f"?lang={other}", className="gp-lang",
                  **{"data-gp-lang": other}, title=tr(("切换语言", "Switch language"), lang))


def auth_required(lang: str) -> html.Div:
    """What a page without a valid token shows (and nothing else: no district data)."""
    return html.Div(className="gp-root gp-root--auth", children=[
        html.Div(id="gp-auth", className="gp-auth", children=[
            html.P(tr(("需要访问令牌：请使用启动时打印的带 ?token= 的地址打开本页。",
                       "An access token is required: open the URL printed by gridpulse demo/serve (with ?token=…)."),
                      lang)),
        ]),
    ])


def forbidden(message: str, lang: str) -> html.Div:
    return html.Div(className="gp-root gp-root--auth", children=[
        html.Div(className="gp-auth", children=[html.P(tr(("无权访问：", "Forbidden: "), lang) + message)]),
    ])


# The phone attributes the screens name (wall hover, street track); any other key is shown as sent.
ATTRIBUTE_NAMES = {
    "ignition": ("点火", "ignition"), "charge": ("充电", "charging"), "driverUniqueId": ("驾驶员编号", "driver ID"),
    "mock": ("模拟定位", "mock location"), "activity": ("活动", "activity"), "event": ("事件", "event"),
    "motion": ("运动", "motion"), "is_moving": ("移动中", "moving"), "odometer": ("里程", "odometer"),
    "altitude": ("海拔", "altitude"), "alarm": ("报警", "alarm"), "uuid": ("定位编号", "fix UUID"),
}


def attribute_names(lang: str) -> dict[str, str]:
    """:data:`ATTRIBUTE_NAMES` in one language."""
    return {k: tr(v, lang) for k, v in ATTRIBUTE_NAMES.items()}
