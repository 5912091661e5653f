"""The package's own exception and warning types.

Every error a user can provoke with bad input is one of these, never a raw ``KeyError`` or pandas
traceback. Each message names where the problem is (table or file, row, column, value) and the
rule that was broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class AlsPainCohortError(Exception):
    """Base class of every error raised by alspaincohort."""


class SchemaError(AlsPainCohortError, ValueError):
    """A table does not have the shape of a standard table (missing column, uncastable values)."""


class CohortValidationError(AlsPainCohortError, ValueError):
    """A cohort breaks one or more schema rules.

    Attributes
    ----------
    breaches : pandas.DataFrame
        Every breach, with the columns of :meth:`alspaincohort.Cohort.validate`.
    """

    def __init__(self, breaches: pd.DataFrame, max_lines: int = 20) -> None:
        self.breaches = breaches
        lines = [f"{len(breaches)} schema breach(es):"]
        for row in breaches.head(max_lines).itertuples(index=False):
            lines.append(
                f"  {row.table} row {row.row}, column {row.column!r}, value {row.value!r}: "
                f"rule {row.rule!r}"
            )
        if len(breaches) > max_lines:
            counts = breaches["rule"].value_counts()
            lines.append(f"  ... {len(breaches) - max_lines} more; by rule: {counts.to_dict()}")
        super().__init__("\n".join(lines))


class InstrumentRangeError(AlsPainCohortError, ValueError):
    """A score function was given an item value outside the item's valid range."""


class ParameterError(AlsPainCohortError, ValueError):
    """A bad parameter: unknown name, value outside its valid range, unknown preset."""


class ModelDataError(AlsPainCohortError, ValueError):
    """Data an estimator cannot use: a non-numeric or non-finite value, an event code other than
    0/1, an interval with start >= stop, a singular design, no events. The message names the
    argument or column, the rows and the values."""


class NotFittedError(AlsPainCohortError, AttributeError):
    """A model's results were asked for before ``fit`` was called."""


class ModelWarning(UserWarning):
    """A fit that runs but deserves attention (dropped rows, singular random effects...)."""
