"""Every text of the street screen as (zh-CN, en) pairs; the browser gets the chosen language's in its config."""

from __future__ import annotations

from dashboard.screens.kit import attribute_names

TITLE = ("街道巡查督导", "Street patrol supervision")
SUBTITLE = ("网格巡查覆盖 · 入户走访 · 轨迹回放", "Patrol coverage · home visits · track replay")
PICK_STREET = ("选择街道", "Choose a street")
CONNECTING = ("连接中…", "Connecting…")

KPIS = [
    ("online", ("在线", "Online"), ("最近一次定位在 2 分钟内的网格员。", "Workers whose last fix is under 2 minutes old.")),
    ("moving", ("移动中", "Moving"), ("在线且速度 ≥ 1.5 km/h。", "Online and at 1.5 km/h or faster.")),
    ("visit_hours", ("本网格走访(时)", "Visit hours in own grid"),
     ("今日所有网格员在本网格内停留 ≥ 5 分钟（50 米内）的时长之和。",
      "Sum over workers of today's stays (≥ 5 min within 50 m) inside their own grid.")),
    ("on_target", ("走访达标", "On visit target"),
     ("今日本网格走访时长已达 3 小时的网格员数 / 名册人数。",
      "Workers with at least 3 h of visits inside their own grid today / roster.")),
    ("grids", ("今日到访网格", "Grids visited today"),
     ("今日至少有一次有效定位落在其中的网格数 / 街道网格数。",
      "Grids with at least one accepted fix today / the street's grids.")),
]

MAP = ("网格覆盖与实时位置", "Coverage and live positions")
MAP_DEF = ("网格颜色：今日巡查分钟（越绿越多）；红色：今日无人到访。圆点：网格员实时位置（红：在线，黄：信号延迟，灰：离线）。",
           "Grid colour: today's patrol minutes (greener = more); red: nobody visited today. Dots: workers' live "
           "positions (red online, amber stale, grey offline).")
LEGEND = [("covered", ("巡查覆盖", "Patrolled")), ("unvisited", ("今日未到访", "Not visited today")),
          ("online", ("在线", "Online")), ("stale", ("信号延迟", "Stale")), ("offline", ("离线", "Offline")),
          ("stay", ("入户停留", "Stay (visit)"))]

WORKERS = ("网格员", "Workers")
WORKER_COLS = [
    ("name", ("姓名", "Name"), None),
    ("home", ("网格", "Grid"), None),
    ("status", ("状态", "Status"), None),
    ("age", ("定位", "Last fix"), ("距最近一次定位的时间。", "Time since the last accepted fix.")),
    ("own_min", ("本格分钟", "Min in own grid"),
     ("今日在本网格内的巡查分钟（相邻定位间隔 ≤ 5 分钟才计入）。",
      "Today's patrol minutes inside the own grid (gaps of at most 5 min between fixes count).")),
    ("visit_h", ("走访/目标", "Visits / target"),
     ("今日本网格内停留（≥ 5 分钟、50 米内）的小时数，对比每日 3 小时目标。",
      "Hours of stays (≥ 5 min within 50 m) inside the own grid today, against the 3-hour target.")),
    ("dist", ("步行", "Walked"), ("今日步行距离（平滑轨迹，停留与信号中断除外）。",
                                 "Distance walked today (smoothed track, stays and silences excluded).")),
    ("alerts", ("告警", "Alerts"), ("今日该网格员的告警数（未确认/全部）。", "Today's alerts of the worker (unacknowledged / all).")),
]

COVERAGE = ("巡查覆盖统计", "Coverage over a period")
PERIODS = [("today", ("今日", "Today")), ("7d", ("近7天", "7 days")), ("month", ("本月", "Month"))]
COVERAGE_DEF = ("到访天数：期间内该网格至少有一次有效定位的天数。未达标：有定位的日子里本网格走访不足 3 小时的天数。",
                "Days visited: days of the period with at least one accepted fix in the grid. Below target: days "
                "with fixes but under 3 h of visits inside the own grid.")
NOT_VISITED = ("期间未到访网格", "Grids not visited in the period")
BELOW_TARGET = ("走访未达标网格员", "Workers below the visit target")
EXPORT = ("导出", "Export")

ALERTS = ("告警", "Alerts")
ALERTS_DEF = ("本街道今日告警；确认后记录确认人和时间，并从大屏告警的未读数中移除。",
              "Today's alerts of the street; acknowledging records who and when, and removes them from the wall "
              "screen's unread count.")

REPLAY = ("轨迹回放", "Replay")
REPLAY_DEF = ("选择日期和时段，同时回放本街道全部网格员：拖动时间轴、播放/暂停、1×–600× 倍速、跟随某人；尾迹渐隐，停留在发生时显示。",
              "Pick a date and a time window and play all the street's workers together: drag the time slider, "
              "play/pause, 1×–600× speed, follow one worker; trails fade and stays appear as they happen.")

# Texts the browser code needs, keyed; the layout puts the chosen language's in the page config.
BROWSER = {
    "online": ("在线", "online"), "stale": ("信号延迟", "stale"), "offline": ("离线", "offline"),
    "moving": ("移动", "moving"), "still": ("静止", "still"), "idle": ("久未移动", "idle"),
    "outside": ("出网格", "outside grid"), "sos": ("SOS", "SOS"),
    "ack": ("确认", "Acknowledge"), "acked": ("已确认", "Acknowledged"), "by": ("确认人", "by"),
    "no_alerts": ("今日暂无告警", "No alerts today"), "none": ("无", "None"),
    "load": ("载入", "Load"), "loading": ("载入中…", "Loading…"), "play": ("播放", "Play"), "pause": ("暂停", "Pause"),
    "follow_none": ("不跟随", "Follow nobody"), "workers_loaded": ("名网格员", "workers"),
    "fixes": ("个定位", "fixes"), "stays": ("次停留", "stays"), "min": ("分钟", "min"), "h": ("时", "h"),
    "km": ("公里", "km"), "ago_s": ("秒前", "s ago"), "ago_m": ("分钟前", "min ago"), "ago_h": ("小时前", "h ago"),
    "never": ("从未", "never"), "track_of": ("今日轨迹", "Today's track"), "close": ("关闭", "Close"),
    "days": ("天", "days"), "kind_outside_grid": ("出网格", "Outside grid"),
    "kind_offline": ("离线", "Offline"), "kind_back_online": ("恢复在线", "Back online"), "kind_sos": ("SOS", "SOS"),
    "error": ("出错", "Error"), "speed": ("倍速", "Speed"),
    "attr_changes": ("手机属性变化", "Phone attribute changes"),
}


def browser_labels(lang: str) -> dict:
    i = 1 if lang == "en" else 0
    return {**{k: v[i] for k, v in BROWSER.items()}, "attrs": attribute_names(lang)}
