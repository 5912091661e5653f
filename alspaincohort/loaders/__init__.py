"""Loaders: PRO-ACT and tabular exports into the standard tables, with a load report."""

from pathlib import Path

from .proact import load_proact
from .report import FileReport, LoadError, LoadReport
from .tabular import MappingError, load_tabular, read_mapping

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
"""Bundled example exports: ``EXAMPLES / "redcap"`` holds a REDCap-style export and its
``mapping.yaml``."""

__all__ = ["EXAMPLES", "FileReport", "LoadError", "LoadReport", "MappingError", "load_proact",
           "load_tabular", "read_mapping"]
