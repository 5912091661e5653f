"""The contract every model class in :mod:`alspaincohort.stats` shares.

A model takes its settings in ``__init__`` (including ``alpha``, the complement of the
confidence level of its intervals), is fitted by ``fit(...)``, which returns the model itself,
and then holds its results in attributes ending in an underscore, named the same across
models:

``params_`` (Series)
    The estimates (fixed effects, log hazard ratios, regression coefficients).
``bse_`` (Series)
    Their standard errors.
``cov_params_`` (DataFrame)
    Their covariance matrix.
``llf_`` (float)
    The log-likelihood (log partial likelihood for Cox; absent for GEE, which has none).
``converged_`` (bool), ``n_obs_`` (int)

and offers ``summary`` (a DataFrame: estimate, std_error, z, p_value, ci_low, ci_high, with
model-specific columns added), ``conf_int(alpha=None)``, ``print_summary()``, ``_repr_html_``
(the summary in a notebook) and a ``__repr__`` naming the settings. Calling any of these
before ``fit`` raises :class:`~alspaincohort.errors.NotFittedError`.

This small base is written here rather than taken from scikit-learn's ``BaseEstimator``: the
models are statistical (standard errors, likelihoods, summaries), not predictors, and sklearn
would be a dependency for 40 lines.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NotFittedError
from ..validation import check_level


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread.

    The hot loops of bootstraps and of simulation replicates work on small matrices, where a
    multi-threaded BLAS gains nothing alone and, beside other jobs (a process pool, a Dask
    worker, a colleague's analysis), makes every job fight for the cores: three mediation
    bootstraps side by side ran ~8x slower than one alone (``benchmarks/bench_threads.py``).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def z_quantile(alpha: float) -> float:
    """The standard normal quantile 1 - alpha / 2 (1.959963984540054 at alpha = 0.05).

    Examples
    --------
    >>> round(z_quantile(0.05), 6)
    1.959964
    """
    return float(stats.norm.isf(check_level(alpha, "alpha") / 2))


def wald_table(params: pd.Series, bse: pd.Series, alpha: float) -> pd.DataFrame:
    """estimate, std_error, z, p_value (two-sided, normal), ci_low, ci_high (Wald).

    Examples
    --------
    >>> wald_table(pd.Series([1.0], index=["x"]), pd.Series([0.5], index=["x"]), 0.05).round(3)
       estimate  std_error    z  p_value  ci_low  ci_high
    x       1.0        0.5  2.0    0.046    0.02     1.98
    """
    crit = z_quantile(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params / bse
    return pd.DataFrame({"estimate": params, "std_error": bse, "z": z,
                         "p_value": 2 * stats.norm.sf(np.abs(z)),
                         "ci_low": params - crit * bse, "ci_high": params + crit * bse})


#: The 95% two-sided normal quantile, the one place it is written.
Z95 = 1.959963984540054


class Estimator:
    """Base of the package's models (see the module docstring for the contract).

    Subclasses set ``alpha`` through ``super().__init__(alpha)``, set ``params_`` and
    ``bse_`` in ``fit``, and may override :meth:`_describe` (a one-line description of the
    fit), :attr:`summary` (to add columns) and :meth:`_extra_tables` (further tables for
    :meth:`print_summary`).
    """

    params_: pd.Series
    bse_: pd.Series

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = check_level(alpha, "alpha")

    # ------------------------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` has completed."""
        return hasattr(self, "params_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() "
                                 "first")

    def _settings(self) -> dict[str, Any]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names if hasattr(self, p)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        state = "fitted" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({args}) [{state}]"

    # ------------------------------------------------------------------------------------------
    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald confidence intervals of ``params_``: columns ci_low, ci_high.

        Parameters
        ----------
        alpha : float, optional
            1 - confidence level; the model's ``alpha`` when omitted.
        """
        self._check_fitted()
        a = self.alpha if alpha is None else alpha
        t = wald_table(self.params_, self.bse_, a)
        return t[["ci_low", "ci_high"]]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per parameter: estimate, std_error, z, p_value, ci_low, ci_high (Wald, at
        the model's ``alpha``)."""
        self._check_fitted()
        return wald_table(self.params_, self.bse_, self.alpha)

    def _describe(self) -> str:
        return f"{type(self).__name__} (n = {getattr(self, 'n_obs_', '?')})"

    def _extra_tables(self) -> list[pd.DataFrame]:
        return []

    def _footer(self) -> list[str]:
        return []

    def print_summary(self, decimals: int = 4) -> None:
        """Print the description, the summary table and any further tables."""
        self._check_fitted()
        print(self._describe())
        print(self.summary.round(decimals).to_string())
        for t in self._extra_tables():
            print(t.round(decimals).to_string(index=False))
        for line in self._footer():
            print(line)

    def _repr_html_(self) -> str:
        if not self.is_fitted:
            return f"<p>{html.escape(repr(self))}</p>"
        parts = [f"<p><b>{html.escape(self._describe())}</b></p>",
                 self.summary.to_html(float_format=lambda x: f"{x:.4g}")]
        parts += [t.to_html(index=False, float_format=lambda x: f"{x:.4g}")
                  for t in self._extra_tables()]
        parts += [f"<p>{html.escape(line)}</p>" for line in self._footer()]
        return "\n".join(parts)
