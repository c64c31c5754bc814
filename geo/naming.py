"""Deterministic names: communities, grids and a demo roster of grid workers (names, device ids, phones)."""

from __future__ import annotations

import numpy as np

_COMMUNITY_FIRST = list("欣惠润和泰康明新安丰华景嘉瑞兴福祥顺春秀清翠锦鑫振金银柳杨桃梅兰竹松晨阳光")
_COMMUNITY_SECOND = list("苑园里庄村湾城苑府居家庭坊境湖河桥岸庭")
_EXCLUSIVE_KINDS = ["学校", "医院", "产业园区", "商务楼宇", "公园", "河道", "机关单位", "农贸市场", "交通枢纽", "景区"]
_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲建国志文斌海燕波宁琳雪梅晶婷丹慧颖凯俊峰宇")


def community_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct community names such as 欣苑社区."""
    combos = [a + b for a in _COMMUNITY_FIRST for b in _COMMUNITY_SECOND]
    if n > len(combos):
        combos += [f"{c}{k}" for k in range(2, 2 + n // len(combos) + 1) for c in combos]
    picks = rng.permutation(len(combos))[:n]
    return [combos[p] + "社区" for p in picks]


def exclusive_kind(rng: np.random.Generator) -> str:
    return _EXCLUSIVE_KINDS[rng.integers(len(_EXCLUSIVE_KINDS))]


def person_names(n: int, rng: np.random.Generator) -> list[str]:
    surnames = rng.choice(_SURNAMES, size=n)
    one = rng.choice(_GIVEN, size=n)
    two = rng.choice(_GIVEN, size=n)
    double = rng.random(n) < 0.6
    return [s + a + (b if d else "") for s, a, b, d in zip(surnames, one, two, double, strict=True)]


def device_ids(n: int, rng: np.random.Generator) -> list[str]:
    """15-digit IMEI-like device ids, unique."""
    ids = rng.choice(10**13, size=n, replace=False)
    return [f"86{v:013d}" for v in ids]


def phone_numbers(n: int, rng: np.random.Generator) -> list[str]:
    prefixes = np.array(["138", "139", "150", "151", "186", "187", "133", "177"])
    tails = rng.choice(10**8, size=n, replace=False)
    return [f"{p}{t:08d}" for p, t in zip(rng.choice(prefixes, size=n), tails, strict=True)]
