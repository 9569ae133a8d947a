"""What a run did: rows in and out per node, time per node, error records, warnings."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorRecord:
    """One row that failed: its id, the node, the exception type and message."""

    row_id: Any
    node: str
    exc_type: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row_id!r} failed in {self.node}: {self.exc_type}: {self.message}"


@dataclass
class NodeStats:
    """Counters for one node."""

    name: str
    rows_in: int = 0
    rows_out: int = 0
    errors: int = 0
    seconds: float = 0.0
    cache_hits: int = 0


class RowError(RuntimeError):
    """Raised in strict mode for the first failing row; ``record`` says which and why."""

    def __init__(self, record: ErrorRecord):
        self.record = record
        super().__init__(str(record))


@dataclass
class RunReport:
    """The report every run returns: per-node stats, error records, warnings, wall time."""

    nodes: dict[str, NodeStats] = field(default_factory=dict)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    wall_seconds: float = 0.0
    engine: str = "local"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def node(self, name: str) -> NodeStats:
        st = self.nodes.get(name)
        if st is None:
            st = self.nodes[name] = NodeStats(name)
        return st

    def add_error(self, record: ErrorRecord) -> None:
        with self._lock:
            self.errors.append(record)
            self.node(record.node).errors += 1

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine, "rows_in": self.rows_in, "rows_out": self.rows_out,
            "wall_seconds": round(self.wall_seconds, 4),
            "nodes": [asdict(s) for s in self.nodes.values()],
            "errors": [asdict(e) for e in self.errors], "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A readable table of the run."""
        lines = [f"run on {self.engine}: {self.rows_in} in, {self.rows_out} out, {len(self.errors)} errors, "
                 f"{self.wall_seconds:.3f}s"]
        for s in self.nodes.values():
            hit = f", {s.cache_hits} cached" if s.cache_hits else ""
            lines.append(f"  {s.name:<48} in {s.rows_in:>8}  out {s.rows_out:>8}  err {s.errors:>4}  "
                         f"{s.seconds:8.3f}s{hit}")
        for e in self.errors[:20]:
            lines.append(f"  ! {e}")
        if len(self.errors) > 20:
            lines.append(f"  ! ... {len(self.errors) - 20} more errors")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
