"""One small generic registry type, used for operators, pipelines and index backends."""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Generic, TypeVar

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """Canonical registry key: lower case, ``_`` -> ``-``, ``.`` -> ``/``.

    Example:
        >>> normalize_name("image_decode.cv2")
        'image-decode/cv2'
    """
    return name.strip().lower().replace("_", "-").replace(".", "/")


class UnknownNameError(KeyError):
    """A name that is not registered; the message lists the closest registered names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(set(known))
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
        if not close:
            # compare the last path part too: 'image-decode/cv' -> 'image-decode/cv2'
            tail = name.rsplit("/", 1)[-1]
            close = [k for k in known if tail and tail in k][:5]
        hint = f" Closest: {', '.join(close)}." if close else ""
        self.name = name
        self.close = close
        super().__init__(f"unknown {kind} {name!r}.{hint} ({len(known)} registered)")

    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0])


class Registry(Generic[T]):
    """A name -> object table with lazy module loading and entry-point plugins.

    Args:
        kind: what is registered (used in error messages), e.g. ``"operator"``.
        modules: namespace -> module path of built-ins; the module is imported the first time a name in
            that namespace is looked up, so nothing depends on import order.
        entry_point_group: a Python entry-point group; each entry point names a namespace (its name) and
            a module (its value) that registers into this registry when imported. Loaded lazily.

    Example:
        >>> r = Registry("thing")
        >>> @r.register("demo/add-one")
        ... def add_one(x):
        ...     return x + 1
        >>> r.get("demo.add_one")(1)
        2
    """

    def __init__(self, kind: str, *, modules: dict[str, str] | None = None,
                 entry_point_group: str | None = None):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._modules = {normalize_name(k): v for k, v in (modules or {}).items()}
        self._group = entry_point_group
        self._plugins_loaded = False
        self._lock = threading.RLock()

    def register(self, name: str, obj: T | None = None, *, overwrite: bool = False) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; used bare or as a decorator."""
        key = normalize_name(name)
        if "/" not in key:
            raise ValueError(f"{self.kind} names are 'namespace/name', got {name!r}")

        def deco(o: T) -> T:
            with self._lock:
                if key in self._items and not overwrite and self._items[key] is not o:
                    raise ValueError(f"{self.kind} {key!r} is already registered; pass overwrite=True")
                self._items[key] = o
                try:
                    o.__junco_name__ = key  # type: ignore[attr-defined]
                except (AttributeError, TypeError):
                    pass
            return o

        return deco(obj) if obj is not None else deco

    def _load_namespace(self, namespace: str) -> None:
        mod = self._modules.get(namespace)
        if mod:
            importlib.import_module(mod)
        else:
            self._load_plugins()

    def _load_plugins(self) -> None:
        if self._plugins_loaded or not self._group:
            return
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
            for ep in metadata.entry_points(group=self._group):
                ns = normalize_name(ep.name)
                self._modules.setdefault(ns, ep.value)

    def get(self, name: str) -> T:
        """The object registered as ``name``; raises :class:`UnknownNameError` with close matches."""
        key = normalize_name(name)
        if key in self._items:
            return self._items[key]
        self._load_plugins()
        self._load_namespace(key.split("/", 1)[0])
        if key in self._items:
            return self._items[key]
        raise UnknownNameError(self.kind, key, self.names())

    def has_namespace(self, namespace: str) -> bool:
        ns = normalize_name(namespace)
        self._load_plugins()
        return ns in self._modules or any(k.startswith(ns + "/") for k in self._items)

    def namespaces(self) -> list[str]:
        self._load_plugins()
        return sorted(set(self._modules) | {k.split("/", 1)[0] for k in self._items})

    def names(self, *, load: bool = True) -> list[str]:
        """Every registered name; with ``load`` the lazy built-in and plugin modules are imported first."""
        if load:
            self._load_plugins()
            for ns in list(self._modules):
                try:
                    self._load_namespace(ns)
                except ImportError:
                    pass  # an optional extra that is not installed
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
            return True
        except (UnknownNameError, ImportError):
            return False
