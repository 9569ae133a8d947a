"""Wrap a registered plain function (with bound keyword arguments) as an operator."""

from __future__ import annotations

import functools
from typing import Any


class FunctionOperator:
    """A registered function with its keyword arguments bound: ``ops.demo.add_one()``."""

    def __init__(self, fn: Any, name: str, kwargs: dict[str, Any]):
        self.fn = functools.partial(fn, **kwargs) if kwargs else fn
        self.__junco_spec__ = {"op": name, "args": dict(kwargs)}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def fingerprint(self) -> dict[str, Any]:
        return dict(self.__junco_spec__)

    def __repr__(self) -> str:
        return f"<op {self.__junco_spec__['op']}>"
