"""Every example in junco.serve's docstrings runs; the public names are sorted and importable."""

import doctest
import importlib
import pkgutil

import pytest

import junco.serve

MODULES = ["junco.serve"] + [f"junco.serve.{m.name}" for m in pkgutil.iter_modules(junco.serve.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_names_are_sorted_and_resolve():
    assert junco.serve.__all__ == sorted(junco.serve.__all__)
    for name in junco.serve.__all__:
        obj = getattr(junco.serve, name)
        assert obj.__doc__, name
