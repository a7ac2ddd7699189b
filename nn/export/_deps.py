"""The optional packages the exporters need, imported on first use.

``import nn`` never imports them: they live in the ``export`` extra
(``pip install "lucidgrad[export]"``), and a missing one is reported by name, with that command.
"""
import importlib

__all__ = ["MissingDependencyError", "require", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "lucidgrad[export]"'


class MissingDependencyError(ImportError):
    """An optional package that an exporter needs is not installed."""


def require(module, purpose):
    """Import and return ``module`` (e.g. ``'onnx'``); if it is missing, raise a
    ``MissingDependencyError`` saying what it is needed for and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs the {package!r} package, which is not installed ({error}); "
            f"install the export extra: {INSTALL_HINT}") from None
