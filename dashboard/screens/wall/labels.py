"""Every label of the wall screen as (zh-CN, en), and the definitions shown on hover.

The browser code gets the ones it needs through the page config (:func:`browser_labels`).
"""

from __future__ import annotations

from dashboard.screens.kit import attribute_names, tr

TITLE = ("网格化管理中心", "Grid Management Center")
SUBTITLE = ("实时指挥大屏 · 一格一员", "Live command wall · one worker per grid")
CONNECTING = ("连接中…", "Connecting…")

FORCE = ("今日力量 · 网格员", "Workforce today")
# (element id suffix, label, definition, css modifier)
FORCE_COUNTERS = [
    ("shift", ("在岗", "On shift"), ("在岗：本班次开始后上报过定位的网格员人数（含当前在线、信号延迟与已离线者）。",
                                     "On shift: workers who sent a fix since the shift started (online, signal-late or offline since)."), "shift"),
    ("online", ("在线", "Online"), ("在线：最近一次定位未超过“信号延迟”阈值的网格员人数。",
                                    "Online: workers whose last fix is newer than the signal-late threshold."), "online"),
    ("moving", ("移动中", "Moving"), ("移动中：在线网格员中，按速度与位移判定为正在移动（巡查途中）的人数。",
                                      "Moving: online workers whose speed and displacement say they are moving (on patrol)."), "moving"),
    ("stale", ("信号延迟", "Signal late"), ("信号延迟：错过数个上报间隔、尚未判定离线的网格员人数（手机可能在室内或信号弱）。",
                                            "Signal late: workers who missed a few ping intervals but are not yet offline."), "stale"),
    ("offline", ("离线", "Offline"), ("离线：名册中超过离线阈值无定位、或今日从未上报的网格员人数。",
                                       "Offline: roster workers silent past the offline threshold, or not seen today."), "offline"),
    ("outside", ("出网格", "Outside grid"), ("出网格：在线且最近定位不在本人所属网格内的网格员人数。",
                                              "Outside grid: online workers whose last fix is outside their own grid."), "outside"),
    ("idle", ("久未移动", "Idle"), ("久未移动：在线但连续静止超过设定时长（GRIDPULSE_IDLE_AFTER_S，默认 30 分钟）；入户走访也会静止。",
                                    "Idle: online but still for longer than GRIDPULSE_IDLE_AFTER_S (default 30 min); home visits are still too."), "idle"),
    ("sos", ("SOS 求助", "SOS"), ("SOS 求助：最近一次定位带有 SOS 标记、且未离线的网格员人数。",
                                  "SOS: workers not offline whose last fix carries an SOS flag."), "sos"),
]
COVERAGE = ("今日巡查覆盖", "Patrol coverage today")
COVERAGE_GRIDS = ("网格到访率", "Grids visited")
COVERAGE_GRIDS_DEF = ("网格到访率 = 今日有网格员定位落入的网格数 / 网格总数。",
                      "Grids visited = grids with at least one accepted fix today / all grids.")
COVERAGE_HOURS = ("格内巡查时长", "Hours in own grid")
COVERAGE_HOURS_DEF = ("格内巡查时长 = 今日各网格员在本人网格内的巡查分钟数之和（小时）。",
                      "Hours in own grid = sum over workers of today's patrol minutes inside their own grid, in hours.")
STREETS = ("各街道力量", "By street")
STREET_COLS = [("街道", "Street"), ("在线", "Online"), ("名册", "Roster"), ("到访率", "Visited")]

CLOSURE = ("案件办理", "Case handling")
TODAY = ("今日", "Today")
MONTH = ("本月", "Month")
CASE_FIGURES = [  # (metrics field, label)
    ("received", ("受理", "Received")),
    ("registered", ("立案", "Registered")),
    ("closed", ("结案", "Closed")),
    ("open_now", ("在办", "Open")),
    ("overdue_now", ("超期", "Overdue")),
]
RATES = [
    ("closure_rate", ("结案率", "Closure rate")),
    ("press_closure_rate", ("办结率", "Completion rate")),
    ("on_time_closure_rate", ("按期结案率", "On-time closure")),
]
RATE_PERIOD = ("大字为本月（本月1日起上报的工单），小字为今日。近期上报的工单多数仍在办理期限内，故本月的比率低于"
               "全年（东丽区一年办结率约98%）。",
               "Large: this month (tickets reported since the 1st); small: today. Many recent tickets are still "
               "within their time limits, so this month's rate reads lower than a year's (Dongli: about 98% "
               "completed in a year).")
TREND = ("近30日 受理与结案", "Last 30 days: received vs closed")
RANKING = ("近30日街道排名 · 综合得分", "Street ranking, last 30 days · composite score")
RANK_COLS = [("名次", "#"), ("街道", "Street"), ("得分", "Score"), ("结案率", "Closure")]
CATEGORIES = ("近30日高发类别", "Top categories, last 30 days")
OVERDUE = ("督办 · 超期工单", "Supervision · overdue")
OVERDUE_COLS = [("街道", "Street"), ("类别", "Category"), ("超期(时)", "Over (h)")]
FEED = ("实时动态", "Live feed")
FEED_DEF = ("实时动态：网格员告警（出网格、离线、恢复、SOS）与工单事件（上报、派遣、处置、结案、超期），最新在上。",
            "Live feed: worker alerts (outside grid, offline, back online, SOS) and ticket events (reported, dispatched, "
            "handled, closed, overdue), newest first.")
UNREAD = ("未确认告警", "Unacknowledged")
UNREAD_DEF = ("未确认告警：实时动态中尚未被街道督导员确认（/street 告警列表“确认”）的网格员告警条数。",
              "Unacknowledged: worker alerts in the live feed that no street supervisor has acknowledged yet "
              "(the Acknowledge button of /street).")
HEAT = ("工单热力", "Ticket heat")
HEAT_DEF = ("工单热力：在办工单所在位置，按时限灯加权（超期 3、督办黄灯 2、正常 1）。",
            "Ticket heat: open tickets at their locations, weighted by their time-limit light (overdue 3, yellow 2, green 1).")
LEGEND = [("online", ("在线", "Online")), ("stale", ("信号延迟", "Signal late")), ("offline", ("离线", "Offline")),
          ("sos", ("SOS", "SOS"))]
AS_OF = ("数据时间", "As of")
NO_DATA = ("暂无", "None")

# What the browser code writes (alerts, ticket events, statuses, hover lines).
BROWSER = {
    "status": {"online": ("在线", "online"), "stale": ("信号延迟", "signal late"), "offline": ("离线", "offline")},
    "moving": ("移动中", "moving"), "still": ("静止", "still"), "idle": ("久未移动", "idle"),
    "outside": ("出网格", "outside own grid"), "sos": ("SOS 求助", "SOS"),
    "grid": ("网格", "Grid"), "last_fix": ("最近定位", "Last fix"), "speed": ("速度", "Speed"),
    "battery": ("电量", "Battery"), "worker": ("网格员", "Worker"), "open_tickets": ("在办工单", "Open tickets"),
    "alert": {"outside_grid": ("出网格", "Outside grid"), "offline": ("离线", "Offline"),
              "back_online": ("恢复在线", "Back online"), "sos": ("SOS", "SOS"), "idle": ("久未移动", "Idle")},
    "ticket": {"report": ("上报", "Reported"), "dispatch": ("派遣", "Dispatched"), "handle": ("处置", "Handled"),
               "close": ("结案", "Closed"), "overdue": ("超期", "Overdue"), "supervise": ("督办", "Supervision"),
               "register": ("立案", "Registered"), "sign": ("签收", "Signed"), "self_handle": ("自处理", "Self-handled"),
               "approve": ("结案", "Closed"), "void": ("作废", "Voided"), "escalate": ("上报上级", "Escalated"),
               "return": ("回退", "Returned"), "rework": ("返工", "Rework"), "request_check": ("待核查", "To check"),
               "verify": ("待核实", "To verify"), "reject": ("驳回", "Rejected"), "suspend": ("挂账", "Suspended"),
               "resume": ("恢复", "Resumed"), "extend": ("延期", "Extended")},
    "scope_district": ("全区", "whole district"),
    "heat_on": ("热力 开", "Heat on"), "heat_off": ("热力 关", "Heat off"),
    "no_worker": ("无", "none"),
}


def definition(key: str, label: tuple[str, str] | None, lang: str) -> str:
    """A metric's definition as ``/api/v1/metrics`` states it, with its Chinese term swapped for the English one
    (and other Chinese words dropped) in English."""
    import re

    from tickets.metrics import DEFINITIONS

    text = DEFINITIONS[key]
    if lang != "en":
        return text
    text = re.sub(r"\s*\(?[\u3400-\u9fff]+\)?", "", text).strip()
    if label and text.startswith("="):
        text = f"{label[1]} {text}"
    return text


def browser_labels(lang: str) -> dict:
    """:data:`BROWSER` in one language (nested dicts kept)."""
    def one(v):
        if isinstance(v, tuple):
            return tr(v, lang)
        return {k: one(x) for k, x in v.items()}
    return {**one(BROWSER), "attrs": attribute_names(lang)}
