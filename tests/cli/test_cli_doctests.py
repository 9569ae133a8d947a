"""Every example in junco.cli's docstrings runs."""

import doctest
import importlib
import pkgutil

import pytest

import junco.cli

MODULES = ["junco.cli"] + [f"junco.cli.{m.name}" for m in pkgutil.iter_modules(junco.cli.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
