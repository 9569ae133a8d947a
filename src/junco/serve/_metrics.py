"""Service metrics in the Prometheus text format: counters, gauges and histograms, thread-safe.

No client library: the format is a few lines of text, and the service needs only these three types.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from typing import Any

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

Labels = tuple[tuple[str, str], ...]


class _Histogram:
    __slots__ = ("buckets", "counts", "total", "n")

    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1


class Metrics:
    """A small metrics registry.

    Example:
        >>> m = Metrics()
        >>> m.inc("junco_items_total", outcome="ok")
        >>> m.observe("junco_batch_size", 4, buckets=BATCH_BUCKETS)
        >>> 'junco_items_total{outcome="ok"} 1' in m.render()
        True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._gauges: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._hists: dict[str, dict[Labels, _Histogram]] = defaultdict(dict)
        self._help: dict[str, str] = {}

    def describe(self, name: str, text: str) -> None:
        """Set the ``# HELP`` line of a metric."""
        self._help[name] = text

    def inc(self, name: str, amount: float = 1.0, **labels: Any) -> None:
        """Add to a counter."""
        key = _labels(labels)
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: Any) -> None:
        """Set a gauge."""
        with self._lock:
            self._gauges[name][_labels(labels)] = float(value)

    def observe(self, name: str, value: float, *, buckets: tuple[float, ...] = LATENCY_BUCKETS,
                **labels: Any) -> None:
        """Record one observation in a histogram."""
        key = _labels(labels)
        with self._lock:
            h = self._hists[name].get(key)
            if h is None:
                h = self._hists[name][key] = _Histogram(buckets)
            h.observe(value)

    def counter(self, name: str, **labels: Any) -> float:
        """The current value of a counter (0 when never incremented)."""
        with self._lock:
            return self._counters.get(name, {}).get(_labels(labels), 0.0)

    def histogram(self, name: str, **labels: Any) -> dict[str, Any]:
        """``{"count", "sum", "buckets": {le: cumulative count}}`` of one histogram series."""
        with self._lock:
            h = self._hists.get(name, {}).get(_labels(labels))
            if h is None:
                return {"count": 0, "sum": 0.0, "buckets": {}}
            cum, out = 0, {}
            for le, c in zip([*h.buckets, float("inf")], h.counts):
                cum += c
                out[le] = cum
            return {"count": h.n, "sum": h.total, "buckets": out}

    def render(self) -> str:
        """All metrics in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            for kind, table in (("counter", self._counters), ("gauge", self._gauges)):
                for name in sorted(table):
                    self._head(lines, name, kind)
                    for key, v in sorted(table[name].items()):
                        lines.append(f"{name}{_fmt(key)} {_num(v)}")
            for name in sorted(self._hists):
                self._head(lines, name, "histogram")
                for key, h in sorted(self._hists[name].items()):
                    cum = 0
                    for le, c in zip([*h.buckets, float("inf")], h.counts):
                        cum += c
                        lines.append(f"{name}_bucket{_fmt(key + (('le', _num(le)),))} {cum}")
                    lines.append(f"{name}_sum{_fmt(key)} {_num(h.total)}")
                    lines.append(f"{name}_count{_fmt(key)} {h.n}")
        return "\n".join(lines) + "\n"

    def _head(self, lines: list[str], name: str, kind: str) -> None:
        if name in self._help:
            lines.append(f"# HELP {name} {self._help[name]}")
        lines.append(f"# TYPE {name} {kind}")


def _labels(labels: dict[str, Any]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def _fmt(key: Labels) -> str:
    if not key:
        return ""
    body = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                    for k, v in key)
    return "{" + body + "}"


def _num(v: float) -> str:
    if v == float("inf"):
        return "+Inf"
    return str(int(v)) if float(v).is_integer() else repr(float(v))
