import resource
import tracemalloc

from junco import pipe


def test_million_row_stream_keeps_memory_flat():
    p = pipe.input("x").map("x", "y", lambda x: x * 2).filter("y", "y", "y", lambda y: y % 3 == 0).output("y")

    tracemalloc.start()
    count, total = 0, 0
    for i, y in enumerate(p.stream(iter(range(1_000_000)))):
        count += 1
        total += y
        if i == 50_000:
            _, early_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
    _, late_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 333_334
    assert total == sum(y for y in (2 * x for x in range(1_000_000)) if y % 3 == 0)
    # a few blocks in flight, never the stream: well under 50 MB, and no growth
    assert late_peak < 20 * 1024 * 1024
    assert late_peak < early_peak * 3 + 1024 * 1024
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
