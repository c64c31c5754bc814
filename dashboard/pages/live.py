"""The first live map page at ``/``: header with clock, the map, workforce counters and the alert feed.

Everything live is done in the browser by ``assets/live.js`` (Socket.IO → ``Plotly.restyle`` on the dots trace and
``dash_clientside.set_props`` on the counters): this layout is static and built once.
"""

from __future__ import annotations

import json

from dash import dcc, html

from dashboard.figures.live_map import live_map_figure
from dashboard.settings import WebSettings
from geo.district import District

# (element id, label, definition shown on hover, css modifier)
COUNTERS = [
    ("gp-n-online", "在线", "在线：本班次内持续上报定位、最近一次定位未超过“信号延迟”阈值的网格员人数。", "online"),
    ("gp-n-moving", "移动中", "移动中：在线网格员中，按最近几次定位的速度与位移判定为正在移动（巡查途中）的人数。", "moving"),
    ("gp-n-stale", "信号延迟", "信号延迟：错过数个上报间隔、尚未判定离线的网格员人数（手机可能在室内或信号弱）。", "stale"),
    ("gp-n-offline", "离线", "离线：名册中超过离线阈值无定位、或今日从未上报的网格员人数。", "offline"),
    ("gp-n-outside", "出网格", "出网格：在线且最近定位不在本人所属网格内的网格员人数（跨格协助或离岗）。", "outside"),
    ("gp-n-idle", "久未移动", "久未移动：在线但连续静止超过设定时长（默认 30 分钟，GRIDPULSE_IDLE_AFTER_S）的网格员人数；入户走访也会静止，请结合所在网格判断。", "idle"),
    ("gp-n-sos", "SOS 求助", "SOS 求助：最近一次定位带有 SOS 求助标记、且未离线的网格员人数。", "sos"),
    ("gp-n-total", "名册人数", "名册人数：本视图范围内（全区或本街道）登记的专职网格员总数，一格一员。", "total"),
]


def live_layout(district: District, *, settings: WebSettings | None = None, figure=None) -> html.Div:
    settings = settings or WebSettings()
    figure = figure if figure is not None else live_map_figure(district, settings=settings)
    streets = dict(zip(district.grids["street_code"], district.grids["street_name"], strict=True))
    config = {
        "namespace": "/live",
        "gcj02": settings.draw_gcj02,
        "district": district.name,
        "streets": streets,
    }
    return html.Div(className="gp-root", children=[
        html.Header(className="gp-header", children=[
            html.Div(className="gp-title", children=[
                html.H1(f"{district.city}{district.name}网格化管理中心"),
                html.Span("网格员实时分布 · 一格一员", className="gp-subtitle"),
            ]),
            html.Div(className="gp-clock", title="北京时间 (Asia/Shanghai)", children=[
                html.Span("--", id="gp-date", className="gp-date"),
                html.Span("--:--:--", id="gp-time", className="gp-time"),
            ]),
            html.Span("连接中…", id="gp-conn", className="gp-conn gp-conn--wait",
                      title="实时推送连接状态（Socket.IO /live）"),
        ]),
        html.Main(className="gp-main", children=[
            html.Div(className="gp-map", children=[
                dcc.Graph(id="live-map", figure=figure, className="gp-graph",
                          config={"displayModeBar": False, "scrollZoom": True, "responsive": True},
                          style={"height": "100%", "width": "100%"}),
            ]),
            html.Aside(className="gp-side", children=[
                html.Section(className="gp-panel", children=[
                    html.H2("今日力量 · 网格员"),
                    html.Div(className="gp-kpis", children=[_counter(*c) for c in COUNTERS]),
                    html.Div(id="gp-scope", className="gp-scope", children=f"范围：{district.name}全区"),
                ]),
                html.Section(className="gp-panel", children=[
                    html.H2("图例"),
                    html.Ul(className="gp-legend", children=[
                        html.Li([html.I(className="gp-dot gp-dot--online"), "在线（红点，移动中为大点）"]),
                        html.Li([html.I(className="gp-dot gp-dot--stale"), "信号延迟"]),
                        html.Li([html.I(className="gp-dot gp-dot--offline"), "离线（最后位置）"]),
                        html.Li([html.I(className="gp-dot gp-dot--sos"), "SOS 求助"]),
                    ]),
                ]),
                html.Section(className="gp-panel gp-panel--grow", children=[
                    html.H2(["实时告警 ", _info("实时告警：出网格超时、班内离线、恢复在线、SOS，由处理器按规则产生，最新在上。")]),
                    html.Ol(id="gp-alerts", className="gp-alerts"),
                ]),
            ]),
        ]),
        html.Div(id="gp-auth", className="gp-auth", hidden=True, children=[
            html.P("需要访问令牌：请使用启动时打印的带 ?token= 的地址打开本页。"),
            html.P("An access token is required: open the URL printed by gridpulse demo/serve (with ?token=…).",
                   className="gp-en"),
        ]),
        html.Div(id="live-config", hidden=True, **{"data-config": json.dumps(config, ensure_ascii=False)}),
    ])


def _counter(element_id: str, label: str, definition: str, kind: str) -> html.Div:
    return html.Div(className=f"gp-kpi gp-kpi--{kind}", children=[
        html.Div(className="gp-kpi-label", children=[label, " ", _info(definition)]),
        html.Div("—", id=element_id, className="gp-kpi-value"),
    ])


def _info(definition: str) -> html.Span:
    return html.Span("ⓘ", className="gp-info", title=definition, tabIndex="0", **{"data-tip": definition})
