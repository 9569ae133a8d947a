"""Every public example in junco.collection's docstrings runs."""

import doctest
import importlib
import pkgutil

import pytest

import junco.collection

MODULES = ["junco.collection"] + [f"junco.collection.{m.name}" for m in pkgutil.iter_modules(junco.collection.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_names_have_docstrings_with_args_returns_example():
    from junco.collection import DataCollection

    missing = []
    for name in dir(DataCollection):
        attr = getattr(DataCollection, name, None)
        if name.startswith("_") or not callable(attr):
            continue
        doc = attr.__doc__ or ""
        if "Example" not in doc or "Returns" not in doc:
            missing.append(name)
    assert missing == []
