"""The Ray runtime junco uses: an existing one, a cluster by address, or a local one junco starts.

Only what junco started is shut down (by :func:`shutdown` or at exit); a runtime the user initialised
is left alone.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import sys
import threading
from typing import Any

_lock = threading.Lock()
_started = False
_hung: str | None = None  # what an earlier start that timed out was doing (its ray.init never returned)
_release = threading.Event()  # set by shutdown(): the thread that started Ray may end


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('the Ray engine needs Ray: pip install "junco[ray]"') from e
    return ray


DEFAULT_START_TIMEOUT_S = 120.0
"""How long starting or connecting to Ray may take (``$JUNCO_RAY_START_TIMEOUT`` overrides it)."""


def start_timeout(timeout: float | None = None) -> float:
    """The start timeout in seconds: ``timeout``, else ``$JUNCO_RAY_START_TIMEOUT``, else the default.

    Example:
        >>> start_timeout(5)
        5.0
    """
    if timeout is None:
        raw = os.environ.get("JUNCO_RAY_START_TIMEOUT")
        if raw:
            try:
                timeout = float(raw)
            except ValueError:
                raise ValueError(f"JUNCO_RAY_START_TIMEOUT must be a number of seconds, got {raw!r}") from None
        else:
            timeout = DEFAULT_START_TIMEOUT_S
    if not timeout > 0:
        raise ValueError(f"the Ray start timeout must be > 0 seconds, got {timeout}")
    return float(timeout)


def ensure(address: str | None = None, *, num_cpus: int | None = None, num_gpus: int | None = None,
           timeout: float | None = None, **init_kwargs: Any) -> bool:
    """Make sure this process is connected to Ray; returns True when this call connected it.

    Starting Ray never hangs: a cluster address that refuses connections fails at once, a local runtime
    is not started when the loopback interface does not work, and anything else that takes longer than
    ``timeout`` raises :class:`RuntimeError` naming the cause.

    Args:
        address: a cluster (``"ray://head:10001"``, ``"head:6379"``), ``"auto"`` (a cluster started with
            ``ray start`` on this machine), or ``None``: ``$RAY_ADDRESS`` when set, else a new local
            runtime. Ignored when Ray is already initialised in this process.
        num_cpus, num_gpus: size of a local runtime junco starts (default: the machine's).
        timeout: seconds ``ray.init`` may take (default: ``$JUNCO_RAY_START_TIMEOUT`` or 120).
        init_kwargs: passed to ``ray.init``.

    Raises:
        RuntimeError: Ray could not be reached or started in time (the message says why).
    """
    global _started
    ray = _ray()
    with _lock:
        if _hung is not None:
            raise RuntimeError(f"an earlier Ray start in this process ({_hung}) timed out and never finished; "
                               "Ray cannot be started again in this process: restart it")
        if ray.is_initialized():
            return False
        limit = start_timeout(timeout)
        address = address or os.environ.get("RAY_ADDRESS") or None
        kw: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING",
                              "log_to_driver": True, **init_kwargs}
        if address and address != "local":
            _check_reachable(address, limit)
            _init_bounded(ray, limit, f"connecting to the Ray cluster at {address!r}",
                          address=address, **kw)
        else:
            # Workers of a local runtime see the driver's import path, so functions and operators
            # defined in the user's modules (and test files) unpickle there as they do here.
            _check_loopback()
            paths = [p for p in sys.path if p and os.path.isdir(p)]
            env = dict(kw.pop("runtime_env", None) or {})
            env_vars = {"PYTHONPATH": os.pathsep.join(paths), **env.get("env_vars", {})}
            _init_bounded(ray, limit, "starting a local Ray runtime", address="local", num_cpus=num_cpus,
                          num_gpus=num_gpus, runtime_env={**env, "env_vars": env_vars}, **kw)
            _quiet_ray_data()
        _started = True
        atexit.register(shutdown)
        return True


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``"ray://host:port"`` or ``"host:port"``; None for ``"auto"`` and the like."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _check_reachable(address: str, timeout: float) -> None:
    """Fail at once with the cause when nothing listens at a cluster address (Ray itself would retry
    for minutes)."""
    hp = _host_port(address)
    if hp is None:
        return
    try:
        with socket.create_connection(hp, timeout=min(timeout, 10.0)):
            pass
    except OSError as e:
        raise RuntimeError(f"cannot reach the Ray cluster at {address!r}: {e.strerror or e} "
                           f"(is the cluster up, and is {hp[0]}:{hp[1]} reachable from here?)") from None


def _check_loopback() -> None:
    """A local Ray runtime talks to itself over 127.0.0.1; without a working loopback interface
    ``ray.init`` would wait for its own processes forever."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            with socket.create_connection(srv.getsockname(), timeout=5.0):
                pass
    except OSError as e:
        raise RuntimeError(f"cannot start a local Ray runtime: the loopback interface (127.0.0.1) does not "
                           f"work here ({e.strerror or e}); bring it up (`ip link set lo up`) or give "
                           f"a cluster address") from None


def _init_bounded(ray: Any, timeout: float, what: str, **kw: Any) -> None:
    """``ray.init(**kw)`` in a helper thread, waiting at most ``timeout`` seconds for it.

    The thread stays alive (asleep) until :func:`shutdown`: Ray starts its local processes with
    ``PR_SET_PDEATHSIG``, which kills them when the *thread* that spawned them ends.
    """
    global _hung, _release
    outcome: dict[str, BaseException] = {}
    done = threading.Event()
    release = _release = threading.Event()

    def target() -> None:
        # ray.init outside the main thread only skips its SIGTERM handler (the default still ends the
        # process); its warning about that would show on every start
        quiet = _DropMessage("SIGTERM handler is not set")
        log = logging.getLogger("ray._private.worker")
        log.addFilter(quiet)
        try:
            ray.init(**kw)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            outcome["error"] = e
            return
        finally:
            log.removeFilter(quiet)
            done.set()
        release.wait()

    threading.Thread(target=target, name="junco-ray-owner", daemon=True).start()
    if not done.wait(timeout):
        _hung = what
        threading.Thread(target=_late_shutdown, args=(ray, done), name="junco-ray-cleanup", daemon=True).start()
        raise RuntimeError(f"Ray did not start within {timeout:g} s ({what}); check that the cluster is up "
                           "and reachable, or that this machine's network (loopback included) works; "
                           "set JUNCO_RAY_START_TIMEOUT to wait longer")
    if "error" in outcome:
        e = outcome["error"]
        if isinstance(e, (ConnectionError, TimeoutError, OSError)):
            raise RuntimeError(f"Ray did not start ({what}): {type(e).__name__}: {e}") from e
        raise e


class _DropMessage(logging.Filter):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in str(record.msg)


def _late_shutdown(ray: Any, done: threading.Event) -> None:
    """After a timed-out start: once ``ray.init`` returns (if ever), undo whatever it started."""
    global _hung
    done.wait()
    _hung = None
    try:
        if ray.is_initialized():
            ray.shutdown()
    except Exception:  # noqa: BLE001 - best effort cleanup
        pass


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
        _release.set()
