"""The Ray engine: the same plans as the local engine, executed on Ray Data.

``p.set_engine("ray")``, ``pipeline(..., engine="ray")`` or ``dc.set_engine("ray")`` run the same plan
on a Ray cluster (``address=``/``$RAY_ADDRESS``) or on a local Ray runtime junco starts and stops.
Needs ``pip install "junco[ray]"``.
"""

from junco.engine.ray._engine import RayEngine
from junco.engine.ray._io import ParquetSource, read_parquet, run, write_parquet
from junco.engine.ray._runtime import shutdown

__all__ = ["ParquetSource", "RayEngine", "read_parquet", "run", "shutdown", "write_parquet"]
