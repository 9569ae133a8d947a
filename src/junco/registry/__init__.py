"""The generic registry: register things by name, create them, fail with the closest names."""

from junco.registry._registry import Registry, UnknownNameError, normalize_name

__all__ = ["Registry", "UnknownNameError", "normalize_name"]
