"""The Ray runtime junco uses: an existing one, a cluster by address, or a local one junco starts.

Only what junco started is shut down (by :func:`shutdown` or at exit); a runtime the user initialised
is left alone.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any

_lock = threading.Lock()
_started = False


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('the Ray engine needs Ray: pip install "junco[ray]"') from e
    return ray


def ensure(address: str | None = None, *, num_cpus: int | None = None, num_gpus: int | None = None,
           **init_kwargs: Any) -> bool:
    """Make sure this process is connected to Ray; returns True when this call connected it.

    Args:
        address: a cluster (``"ray://head:10001"``, ``"head:6379"``), ``"auto"`` (a cluster started with
            ``ray start`` on this machine), or ``None``: ``$RAY_ADDRESS`` when set, else a new local
            runtime. Ignored when Ray is already initialised in this process.
        num_cpus, num_gpus: size of a local runtime junco starts (default: the machine's).
        init_kwargs: passed to ``ray.init``.
    """
    global _started
    ray = _ray()
    with _lock:
        if ray.is_initialized():
            return False
        address = address or os.environ.get("RAY_ADDRESS") or None
        kw: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING",
                              "log_to_driver": True, **init_kwargs}
        if address and address != "local":
            ray.init(address=address, **kw)
        else:
            # Workers of a local runtime see the driver's import path, so functions and operators
            # defined in the user's modules (and test files) unpickle there as they do here.
            paths = [p for p in sys.path if p and os.path.isdir(p)]
            env = dict(kw.pop("runtime_env", None) or {})
            env_vars = {"PYTHONPATH": os.pathsep.join(paths), **env.get("env_vars", {})}
            ray.init(address="local", num_cpus=num_cpus, num_gpus=num_gpus,
                     runtime_env={**env, "env_vars": env_vars}, **kw)
            _quiet_ray_data()
        _started = True
        atexit.register(shutdown)
        return True


def _quiet_ray_data() -> None:
    """A runtime junco started is junco's: Ray Data's per-dataset INFO lines (one pair per wave) would
    drown the run's own output. Warnings still show; ``logging.getLogger("ray.data")`` undoes it."""
    import logging

    import ray.data  # noqa: F401  (configures its loggers on import; adjust after)

    logging.getLogger("ray.data").setLevel(logging.WARNING)


def started_by_junco() -> bool:
    """True while a Ray connection junco opened is up."""
    return _started and _ray().is_initialized()


def shutdown() -> None:
    """Disconnect from (and, for a local runtime, stop) the Ray runtime junco started; else nothing."""
    global _started
    with _lock:
        if not _started:
            return
        _started = False
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            ray.shutdown()
