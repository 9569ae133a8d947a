"""``pipe`` builder, runnable pipelines, named pipelines and pipeline specs."""

from junco.pipeline._named import list_pipelines, pipeline, register_pipeline
from junco.pipeline._pipe import Pipe, pipe
from junco.pipeline._runnable import Pipeline, Results, make_engine

__all__ = ["Pipe", "Pipeline", "Results", "list_pipelines", "make_engine", "pipe", "pipeline",
           "register_pipeline"]
