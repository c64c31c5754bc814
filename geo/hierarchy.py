"""Group grid cells into contiguous streets and communities, and number them in reading order."""

from __future__ import annotations

import numpy as np
import shapely


def adjacency(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of cells that share a border, with the shared length in degrees (corner-only contacts are left out)."""
    tree = shapely.STRtree(cells)
    i, j = tree.query(cells, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[i]), shapely.boundary(cells[j])))
    edge = shared > 0
    return i[edge], j[edge], shared[edge]


def _components(members: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """Connected components of the sub-graph on ``members`` (union-find)."""
    index = {m: k for k, m in enumerate(members)}
    parent = list(range(len(members)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(*pairs, strict=True):
        if a in index and b in index:
            ra, rb = find(index[a]), find(index[b])
            if ra != rb:
                parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for k, m in enumerate(members):
        groups.setdefault(find(k), []).append(m)
    return [np.array(g) for g in sorted(groups.values(), key=len, reverse=True)]


def make_contiguous(labels: np.ndarray, adj: tuple[np.ndarray, np.ndarray, np.ndarray], allowed=None) -> np.ndarray:
    """Move each detached piece of a group to the neighbouring group it shares most border with.

    ``allowed(cell, group)`` may forbid a move (communities must stay inside their street).
    Repeats until every group is one connected piece (or nothing more can move).
    """
    labels = labels.copy()
    i, j, shared = adj
    for _ in range(20):
        moved = False
        for group in np.unique(labels):
            members = np.flatnonzero(labels == group)
            pieces = _components(members, (i, j))
            for piece in pieces[1:]:
                in_piece = np.isin(i, piece) ^ np.isin(j, piece)
                other = np.where(np.isin(i[in_piece], piece), j[in_piece], i[in_piece])
                weights = shared[in_piece]
                scores: dict[int, float] = {}
                for cell, w in zip(other, weights, strict=True):
                    g = labels[cell]
                    if g != group and (allowed is None or allowed(piece[0], g)):
                        scores[g] = scores.get(g, 0.0) + w
                if scores:
                    labels[piece] = max(scores, key=scores.get)
                    moved = True
        if not moved:
            break
    return labels


def reading_order(x: np.ndarray, y: np.ndarray, band: float) -> np.ndarray:
    """Indices sorted north to south in bands of height ``band``, west to east within a band."""
    rows = np.floor((y.max() - y) / band).astype(np.int64)
    return np.lexsort((x, rows))


def dense_rank(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Relabel groups 0..n-1 by the first position any of their members takes in ``order``."""
    seen: dict[int, int] = {}
    for idx in order:
        seen.setdefault(labels[idx], len(seen))
    return np.array([seen[g] for g in labels])
