"""Loaders: PRO-ACT and tabular exports into the standard tables, with a load report."""

from .proact import load_proact
from .report import FileReport, LoadError, LoadReport

__all__ = ["FileReport", "LoadError", "LoadReport", "load_proact"]
