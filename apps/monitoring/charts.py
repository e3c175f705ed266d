"""A latency chart drawn on the server as inline SVG: no chart library, no JavaScript. Colours
come from the design system's CSS variables (health.css), solid only."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WIDTH, HEIGHT = 720, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 12, 12, 28
MAX_POINTS = 288  # more checks than this are averaged into buckets


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    path: str = ""
    failures: list[tuple[float, float]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    plot_left: int = PAD_LEFT
    plot_right: int = WIDTH - PAD_RIGHT
    plot_top: int = PAD_TOP
    plot_bottom: int = HEIGHT - PAD_BOTTOM
    points: int = 0
    failed: int = 0
    summary: str = ""


def _nice_max(value: float) -> float:
    if value <= 0:
        return 100.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _buckets(series, since: datetime, until: datetime):
    """Average latency per bucket; a bucket with any failed check is a failure mark."""
    if len(series) <= MAX_POINTS:
        return [(at, latency, ok) for at, latency, ok in series]
    span = (until - since).total_seconds() / MAX_POINTS
    grouped: dict[int, list] = {}
    for at, latency, ok in series:
        grouped.setdefault(int((at - since).total_seconds() // span), []).append((latency, ok))
    out = []
    for index in sorted(grouped):
        items = grouped[index]
        oks = [lat for lat, ok in items if ok and lat is not None]
        at = since + timedelta(seconds=(index + 0.5) * span)
        out.append((at, round(sum(oks) / len(oks)) if oks else None, all(ok for _, ok in items)))
    return out


def latency_chart(series, *, since: datetime, until: datetime) -> Chart:
    """`series`: (checked_at, latency_ms, ok) oldest first."""
    chart = Chart()
    points = _buckets(series, since, until)
    chart.points = len(series)
    chart.failed = sum(1 for _, _, ok in series if not ok)
    latencies = [lat for _, lat, ok in points if ok and lat is not None]
    top = _nice_max(max(latencies) if latencies else 0)
    left, right, upper, lower = chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom
    span = max((until - since).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        return round(left + (right - left) * (at - since).total_seconds() / span, 1)

    def y_of(ms: float) -> float:
        return round(lower - (lower - upper) * min(ms, top) / top, 1)

    segments, current = [], []
    for at, latency, ok in points:
        if ok and latency is not None:
            current.append(f"{x_of(at)},{y_of(latency)}")
        else:
            if current:
                segments.append(current)
                current = []
            if not ok:
                chart.failures.append((x_of(at), lower - 4))
    if current:
        segments.append(current)
    chart.path = " ".join("M" + " L".join(seg) for seg in segments)
    chart.y_ticks = [(y_of(top * f), f"{round(top * f):g} ms") for f in (0, 0.5, 1)]
    hours = span / 3600
    fmt = "%H:%M" if hours <= 48 else "%d %b"
    chart.x_ticks = [
        (x_of(since + timedelta(seconds=span * f)), (since + timedelta(seconds=span * f)).strftime(fmt))
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    if latencies:
        chart.summary = f"{len(series)} checks; latency {min(latencies)}–{max(latencies)} ms; {chart.failed} failed"
    else:
        chart.summary = f"{len(series)} checks; {chart.failed} failed"
    return chart
