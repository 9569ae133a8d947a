"""One real local Ray runtime (2 CPUs) for every Ray test of the session, started on first use."""

import pytest


@pytest.fixture(scope="session")
def ray_runtime():
    pytest.importorskip("ray")
    from junco.engine.ray import _runtime

    started = _runtime.ensure("local", num_cpus=2)  # never attach to someone else's cluster here
    yield
    if started:
        _runtime.shutdown()
