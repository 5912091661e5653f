"""Progress bars for work that can take more than a few seconds.

Every long-running function takes ``progress: bool | None = None``. ``None`` means: show a bar
in interactive use (a Jupyter kernel, or a terminal on stderr) and stay quiet otherwise (a
script whose output goes to a file, a test, CI). ``True`` and ``False`` force it. The bar is
tqdm's ``tqdm.auto``: a widget in a notebook, text on a terminal.

Examples
--------
>>> [i for i in bar(range(3), "demo", progress=False)]
[0, 1, 2]
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def interactive() -> bool:
    """Whether a person is watching: a Jupyter kernel, or stderr is a terminal."""
    shell = sys.modules.get("IPython")
    if shell is not None:
        ip = shell.get_ipython()
        if ip is not None and "IPKernelApp" in getattr(ip, "config", {}):
            return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def enabled(progress: bool | None) -> bool:
    """``progress`` resolved: ``None`` follows :func:`interactive`."""
    return interactive() if progress is None else bool(progress)


def bar(iterable: Iterable[Any] | None = None, desc: str = "", progress: bool | None = None,
        total: int | None = None) -> Any:
    """A ``tqdm.auto`` bar over ``iterable`` (or of ``total`` steps), shown when
    :func:`enabled` says so."""
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=not enabled(progress), leave=False)
