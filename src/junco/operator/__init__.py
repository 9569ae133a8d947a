"""Operators: plain callables, or classes with preprocess / forward / postprocess."""

from junco.operator._base import Operator, is_batched, op_fingerprint, op_name
from junco.operator._function import FunctionOperator
from junco.operator._model import ModelOperator

__all__ = ["FunctionOperator", "ModelOperator", "Operator", "is_batched", "op_fingerprint", "op_name"]
