"""Find operators by name: ``ops.image_decode.cv2()``, ``ops.image_embedding.timm(model_name=...)``.

Built-in namespaces live in their own modules and are imported on first use; third-party packages add
modules through the ``junco.operators`` entry-point group (entry point name = namespace, value = module).
Nothing is downloaded or installed at run time.
"""

from __future__ import annotations

import inspect
from typing import Any

from junco.operator import FunctionOperator
from junco.registry import Registry, normalize_name

# namespace -> module that registers it (imported lazily, so import order never matters)
_BUILTINS = {
    "image-decode": "junco.ops.image",
    "image-embedding": "junco.ops.image_embedding",
    "image-text-embedding": "junco.ops.clip",
    "text-embedding": "junco.ops.text",
    "text-image-embedding": "junco.ops.bridge",
    "vector": "junco.ops.vector",
    "junco": "junco.ops.search",
    "index": "junco.ops.search",
    "audio-decode": "junco.ops.audio",
    "audio-embedding": "junco.ops.audio",
    "video-decode": "junco.ops.video",
    "video-embedding": "junco.ops.video",
    "face-detect": "junco.ops.face",
    "face-embedding": "junco.ops.face",
    "drift": "junco.eval.drift",
}

OPERATORS: Registry[Any] = Registry("operator", modules=_BUILTINS, entry_point_group="junco.operators")


def register(name: str, obj: Any = None, *, overwrite: bool = False) -> Any:
    """Register an operator (a function, a callable class, or an :class:`~junco.operator.Operator`).

    Example:
        >>> from junco import register, ops
        >>> @register("demo/times-two", overwrite=True)
        ... def times_two(x):
        ...     return 2 * x
        >>> ops.demo.times_two()(4)
        8
    """
    return OPERATORS.register(name, obj, overwrite=overwrite)


def create(name: str, *args: Any, **kwargs: Any) -> Any:
    """Build the operator registered as ``name`` with its arguments; remembers them for specs."""
    key = normalize_name(name)
    factory = OPERATORS.get(key)
    if inspect.isclass(factory):
        op = factory(*args, **kwargs)
        try:
            op.__junco_spec__ = {"op": key, "args": dict(kwargs)}
        except AttributeError:  # __slots__ classes: no spec, still usable
            pass
        return op
    if args:
        raise TypeError(f"operator {key!r} takes keyword arguments only")
    return FunctionOperator(factory, key, kwargs)


class _Namespace:
    __slots__ = ("_ns",)

    def __init__(self, ns: str):
        self._ns = ns

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        key = f"{self._ns}/{normalize_name(name)}"
        OPERATORS.get(key)  # fail now, with close matches, not when called

        def make(*args: Any, **kwargs: Any) -> Any:
            return create(key, *args, **kwargs)

        make.__name__ = name
        return make

    def __dir__(self) -> list[str]:
        return [n.split("/", 1)[1].replace("-", "_") for n in OPERATORS.names() if n.startswith(self._ns + "/")]


class _Ops:
    """Attribute access to the operator registry: ``ops.<namespace>.<name>(**kwargs)``."""

    def __getattr__(self, name: str) -> _Namespace:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Namespace(normalize_name(name))

    def __dir__(self) -> list[str]:
        return [ns.replace("-", "_") for ns in OPERATORS.namespaces()]


ops = _Ops()

__all__ = ["OPERATORS", "create", "ops", "register"]
