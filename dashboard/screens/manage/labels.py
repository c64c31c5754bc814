"""Every label of the manager's drill-down as (zh-CN, en); definitions of the figures come from
:data:`tickets.metrics.DEFINITIONS` and :data:`tickets.metrics.drill.DEFINITIONS`."""

from __future__ import annotations

TITLE = ("案件分析 · 逐级钻取", "Case analysis · drill-down")
SUBTITLE = ("区 → 街道 → 社区 → 网格", "district → street → community → grid")

PERIODS = [("today", ("今日", "Today")), ("7d", ("近7日", "7 days")), ("month", ("本月", "This month")),
           ("quarter", ("本季度", "This quarter")), ("year", ("本年", "This year")), ("custom", ("自定义", "Custom"))]
PERIOD = ("统计周期", "Period")
VS_PREV = ("较上期", "vs previous")
PREV_DEF = ("与紧邻的等长上一周期相比：数量为增减百分比，比率为增减百分点。",
            "Against the period of the same length just before: counts as % change, rates in percentage points.")

LEVELS = {"district": ("全区", "District"), "street": ("街道", "Street"), "community": ("社区", "Community"),
          "grid": ("网格", "Grid")}
UNITS = {"street": ("各街道", "Streets"), "community": ("各社区", "Communities"), "grid": ("各网格", "Grids")}

FILTERS = {"category": ("事件类别", "Category"), "department": ("处置部门", "Department"),
           "tier": ("层级", "Tier"), "source": ("来源", "Source")}
ALL = ("全部", "All")
TIERS = {"community": ("社区级", "Community"), "street": ("街道级", "Street"), "district": ("区级", "District")}
SOURCES = {"worker_patrol": ("网格员巡查", "Worker patrol"), "hotline_12345": ("12345热线", "Hotline 12345"),
           "resident_app": ("居民App", "Resident app"), "video": ("视频监控", "Video")}

# (metrics field, label, kind): kind says how the value and its change are written
KPIS = [
    ("received", ("受理", "Received"), "count"),
    ("registered", ("立案", "Registered"), "count"),
    ("closed", ("结案", "Closed"), "count"),
    ("open_now", ("在办", "Open now"), "count"),
    ("overdue_now", ("超期", "Overdue now"), "count"),
    ("closure_rate", ("结案率", "Closure rate"), "rate"),
    ("press_closure_rate", ("办结率", "Completion rate"), "rate"),
    ("on_time_closure_rate", ("按期结案率", "On-time closure"), "rate"),
    ("handling_rate", ("处置率", "Handling rate"), "rate"),
    ("rework_rate", ("返工率", "Rework rate"), "rate"),
    ("avg_close_h", ("平均结案时长", "Avg hours to close"), "hours"),
    ("p90_close_h", ("90%结案时长", "P90 hours to close"), "hours"),
]
NOW_KPIS = ("open_now", "overdue_now")
NOT_COMPARABLE = ("在办、超期是本期工单此刻的状态；上期工单办理时间更长，不作比较。",
                  "Open and overdue are this cohort's state right now; the previous cohort has had longer to close, "
                  "so they are not compared.")
# a rise is good (1), bad (-1) or neither (0): colours the change
GOOD_WHEN_UP = {"received": 0, "registered": 0, "closed": 1, "open_now": -1, "overdue_now": -1, "closure_rate": 1,
                "press_closure_rate": 1, "on_time_closure_rate": 1, "handling_rate": 1, "rework_rate": -1,
                "avg_close_h": -1, "p90_close_h": -1}

MAP = ("结案率分布图", "Closure rate map")
MAP_DEF = ("当前层级各单元的结案率（结案/应结案）；灰色为本期无应结案工单。点击区域下钻。",
           "Closure rate (closed / due to close) of each unit of the current level; grey: nothing due to close. "
           "Click a unit to drill into it.")
BARS = ("各单元结案率", "Closure rate by unit")
BARS_DEF = ("柱长为结案率，柱旁数字为受理数；点击柱下钻。", "Bar: closure rate; label: tickets received. Click a bar to drill.")
RANKING = ("综合排名", "Ranking")
RANK_COLS = [("名次", "#"), ("名称", "Name"), ("综合得分", "Score"), ("结案率", "Closure"), ("按期结案率", "On time"),
             ("返工率", "Rework"), ("受理", "Received"), ("超期", "Overdue")]
FORMULA = ("综合得分 = 100 ×（0.4×结案率 + 0.4×按期结案率 + 0.2×（1 − 返工率））",
           "Score = 100 × (0.4 × closure rate + 0.4 × on-time closure rate + 0.2 × (1 − rework rate))")
TREND = ("受理与结案趋势", "Received and closed over time")
TREND_DEF = ("柱：每日（短周期为每小时）受理数与其中已结案数；线：这些工单的结案率。",
             "Bars: tickets received per day (per hour of day for periods of up to two days) and how many of them "
             "are closed; line: their closure rate.")
FUNNEL = ("办理漏斗", "Process funnel")
FUNNEL_DEF = ("本期受理的工单中，已立案、已派遣、已处置（反馈）、已结案的数量。",
              "Of the tickets received in the period: how many were registered, dispatched, handled and closed.")
FUNNEL_STAGES = [("received", ("受理", "Received")), ("registered", ("立案", "Registered")),
                 ("dispatched", ("派遣", "Dispatched")), ("handled", ("处置", "Handled")), ("closed", ("结案", "Closed"))]
PARETO = ("类别帕累托", "Category Pareto")
PARETO_DEF = ("各事件类别受理数（降序）与累计占比；虚线为 80%。", "Tickets received per category (most first) and the "
              "cumulative share; dashed line: 80%.")
DEPTS = ("部门处置绩效", "Department performance")
DEPTS_COLS = [("按时处置率", "On-time handling"), ("平均处置时长(时)", "Avg handling (h)"), ("回退次数", "Returns")]
LIGHTS = ("时限灯分布（在办）", "Time-limit lights (open)")
LIGHT_NAMES = {"red": ("红灯 超期", "Red: overdue"), "yellow": ("黄灯 督办", "Yellow: supervised"),
               "green": ("绿灯 正常", "Green: on time"), "none": ("挂账 停表", "Suspended: clock stopped")}
STEPS = {"register": ("立案", "Register"), "verify": ("核实", "Verify"), "self_review": ("自处理审核", "Self-handled review"),
         "dispatch": ("派遣", "Dispatch"), "sign": ("签收", "Sign"), "handle": ("处置", "Handle"),
         "check": ("核查", "Check"), "suspended": ("挂账", "Suspended")}
TICKETS = ("工单列表", "Tickets")
TICKET_COLS = [("编号", "Number"), ("上报时间", "Reported"), ("类别", "Category"), ("网格", "Grid"), ("层级", "Tier"),
               ("部门", "Department"), ("状态", "State"), ("时限灯", "Light")]
TICKETS_DEF = ("当前选择（周期、地点、筛选）下受理的工单，最新在前；点击一行查看流转记录与照片。",
               "Tickets received in the current selection, newest first; click one for its history and photos.")
PREV_PAGE, NEXT_PAGE = ("上一页", "Previous"), ("下一页", "Next")
PAGE_OF = ("第 {page} / {pages} 页，共 {total} 件", "Page {page} of {pages}, {total} tickets")
HISTORY = ("流转记录", "History")
CLOSE = ("关闭", "Close")
EXPORT = ("导出", "Export")
REPORT = ("打印月报", "Printable report")
COPY_LINK = ("复制链接", "Copy link")
COPIED = ("已复制", "Copied")
AS_OF = ("数据时间", "As of")
NO_DATA = ("暂无数据", "No data")
FORBIDDEN = ("无权查看：", "Forbidden: ")
BAD_SELECTION = ("无法显示：", "Cannot show this: ")
NOTHING_DUE = ("无应结案", "nothing due")
STATES_EN = {"REPORTED": "Reported", "VERIFYING": "Verifying", "SELF_HANDLED": "Self-handled",
             "REGISTERED": "Registered", "DISPATCHED": "Dispatched", "IN_PROGRESS": "In progress",
             "SUSPENDED": "Suspended", "HANDLED": "Handled", "CHECKING": "Checking", "CLOSED": "Closed",
             "VOID": "Void"}
ACTIONS = {"report": ("上报", "Reported"), "verify": ("核实", "Verify"), "register": ("立案", "Registered"),
           "void": ("作废", "Voided"), "self_handle": ("自处理", "Self-handled"), "approve": ("审核通过", "Approved"),
           "reject": ("驳回", "Rejected"), "dispatch": ("派遣", "Dispatched"), "sign": ("签收", "Signed"),
           "return": ("回退", "Returned"), "extend": ("延期", "Extended"), "request_extension": ("申请延期", "Asked to extend"),
           "suspend": ("挂账", "Suspended"), "request_suspension": ("申请挂账", "Asked to suspend"),
           "resume": ("恢复", "Resumed"), "handle": ("处置反馈", "Handled"), "request_check": ("派核查", "Sent to check"),
           "close": ("结案", "Closed"), "rework": ("返工", "Rework"), "escalate": ("上报上级", "Escalated"),
           "supervise": ("督办", "Supervision"), "overdue": ("超期", "Overdue")}
