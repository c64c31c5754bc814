"""Helpers of the wall-screen tests: the page content as Dash serves it to a browser with the page cookie."""

from __future__ import annotations

import json
import re

CJK = re.compile(r"[\u3400-\u9fff]")
PAGES_OUTPUT = ".._pages_content.children..._pages_store.data.."


def page_content(client, path: str = "/", search: str = "") -> dict:
    """The layout of a page: what the pages callback answers for ``path`` and ``search`` (cookie of ``client``)."""
    body = {"output": PAGES_OUTPUT,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.json["response"]["_pages_content"]["children"]


def find(tree, pred) -> list[dict]:
    """Every component (dict with props) of ``tree`` for which ``pred(component)`` holds."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "props" in node and pred(node):
                out.append(node)
            stack.extend(v for v in node.get("props", {}).values() if isinstance(v, (list, dict)))
    return out


def by_id(tree, element_id: str) -> dict:
    found = find(tree, lambda c: c["props"].get("id") == element_id)
    assert found, f"no element #{element_id}"
    return found[0]


def screen_config(tree, screen: str = "wall") -> dict:
    return json.loads(by_id(tree, f"{screen}-config")["props"]["data-config"])


def texts(tree) -> list[str]:
    """Every visible string of the layout: children strings and hover definitions."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node:
            p = node["props"]
            for key in ("title", "data-tip", "placeholder"):
                if isinstance(p.get(key), str):
                    out.append(p[key])
            if "children" in p:
                stack.append(p["children"])
    return out
