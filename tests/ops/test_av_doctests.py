"""Every docstring example of the audio, video and face operators and pipelines runs."""

import doctest
import importlib

import pytest

MODULES = [
    "junco.ops._native",
    "junco.ops.audio", "junco.ops.audio._birdnet", "junco.ops.audio._clip", "junco.ops.audio._decode",
    "junco.ops.audio._speaker", "junco.ops.audio._speaker_pre",
    "junco.ops.video", "junco.ops.video._decode", "junco.ops.video._embedding",
    "junco.ops.face", "junco.ops.face._detect", "junco.ops.face._embed", "junco.ops.face._models",
    "junco.pipelines.audio", "junco.pipelines.face", "junco.pipelines.video",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
