"""Writing what leaves the package: CSV files safe to open in a spreadsheet, and pseudonymous
references in place of patient identifiers.

- **Formula injection.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return as a formula (OWASP, "CSV Injection",
  https://owasp.org/www-community/attacks/CSV_Injection). :func:`write_csv` prefixes such text
  cells with a single quote, as OWASP recommends; numbers (``-12``, ``+3.5``) are left as they
  are, since a spreadsheet reads them as numbers and not as formulas. Every CSV the package
  writes goes through it.
- **Pseudonymous references.** :class:`Pseudonymiser` turns an identifier into ``"p:"`` and
  the first 12 hex digits of its HMAC-SHA256 under a key drawn afresh for each load
  (Python's :mod:`secrets`): the same patient gets the same reference within one report, so
  rows can be grouped, but the reference cannot be turned back into the identifier, nor looked
  up from a list of candidate identifiers without the key (RFC 2104). The standard library
  does this; no dependency is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Pseudonymiser", "neutralise_formulas", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as spreadsheet
    formulas: each one starting with ``= + - @``, a tab or a carriage return, and not a number,
    gets a leading single quote.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        The same shape; numeric columns untouched.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"v": ["=1+1", "-12", "ok"]}))["v"].tolist()
    ["'=1+1", '-12', 'ok']
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype) \
                or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(_safe_cell)
    out.columns = [_safe_cell(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write ``frame`` as CSV after :func:`neutralise_formulas` (``index=False`` and CRLF line
    ends, as RFC 4180, unless told).

    Parameters
    ----------
    frame : DataFrame
    path : str or Path
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(pd.DataFrame({"v": ["=HYPERLINK(1)"]}), p)
    >>> p.read_text().splitlines()[1]
    "'=HYPERLINK(1)"
    """
    path = Path(path)
    kwargs.setdefault("index", False)
    # RFC 4180 line ends: a text cell holding a carriage return is then quoted as well
    kwargs.setdefault("lineterminator", "\r\n")
    neutralise_formulas(frame).to_csv(path, **kwargs)
    return path


class Pseudonymiser:
    """Keyed, one-way references for patient identifiers.

    Parameters
    ----------
    key : bytes, optional
        The HMAC key; by default 32 random bytes, so references of two loads cannot be linked.

    Examples
    --------
    >>> p = Pseudonymiser(key=b"k")
    >>> p(["SYN001", "SYN001", None])
    ['p:e884dfa2a9bd', 'p:e884dfa2a9bd', None]
    """

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def one(self, identifier: Any) -> str | None:
        if identifier is None or (isinstance(identifier, float) and np.isnan(identifier)):
            return None
        digest = hmac.new(self._key, str(identifier).encode("utf-8"), hashlib.sha256)
        return "p:" + digest.hexdigest()[:12]

    def __call__(self, identifiers: Any) -> list[str | None]:
        return [self.one(v) for v in identifiers]

    def __repr__(self) -> str:  # never shows the key
        return "Pseudonymiser()"
