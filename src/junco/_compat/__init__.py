"""Small import-time fixes for third-party packages; installed once by ``junco.install()``-style hooks.

:func:`install` only appends finders to ``sys.meta_path``: it imports nothing heavy (no torch), so
``import junco`` stays fast. Each fix acts when the package it repairs is first imported.
"""

from __future__ import annotations

from junco._compat.torchvision import install as _install_torchvision


def install() -> None:
    """Install every import-time compatibility hook (idempotent, cheap, imports no torch).

    Returns:
        None.

    Example:
        >>> import junco._compat
        >>> junco._compat.install()
    """
    _install_torchvision()


__all__ = ["install"]
