"""Run by test_ray_one_cpu.py: a task stage + an actor pool on a 1-CPU Ray runtime; prints the result."""

import time

from junco import pipe
from junco.engine.ray import RayEngine, _runtime
from junco.operator import Operator


class Double(Operator):
    batch_size = 4

    def forward(self, batch):
        return [x * 2 for x in batch]


_runtime.ensure("local", num_cpus=1)
p = pipe.input("x").map("x", "y", lambda x: x + 1).map("y", "z", Double()).output("z")
p.set_engine(RayEngine())
t = time.time()
out = p.batch(range(20))
print("RESULT", out == [[2 * (i + 1)] for i in range(20)], round(time.time() - t, 1), flush=True)
_runtime.shutdown()
