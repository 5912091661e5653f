"""Small-cell suppression of every count one output shows, as one system.

An output (the HTML report, an exported Table 1) shows counts: each is the number of units
(patients, or visits) in a set. A reader who sees several tables of the same cohort can combine
them: a column total minus the shown rows gives a hidden row; a prevalence table's stratum size
minus its cases gives the patients without pain that Table 1 hid. Disclosure control therefore
works on all the counts of an output together:

1. **Cells.** Every count shown, and every count a reader gets by subtracting two shown counts
   that the output presents together (stratum size minus cases, patients minus events), is a
   :class:`CountCell`: a table, a row, a column and the set of units it counts.
2. **Atoms.** Units that belong to exactly the same cells cannot be told apart by any reader;
   they form one atom. Each cell is then a row of 0/1 coefficients over the atoms, and its count
   is that row times the atom sizes. Atoms that hold no unit are left out, which is the
   cautious choice (a reader who knew they were empty could solve more).
3. **Primary suppression.** A cell counting 1 to ``k - 1`` units is hidden.
4. **Secondary suppression.** A hidden cell whose row lies in the span of the rows of the shown
   cells is determined exactly by what is shown (solving the linear system of the output). While
   such a cell exists, a shown cell is hidden too, chosen among the shown cells that the hidden
   one's minimum-norm representation uses: the first whose removal leaves the hidden cell
   undetermined, trying the cells of largest weight first (a cell on every route of the
   derivation, rather than one of many redundant routes such as the other variables that sum
   to the same group size) and the smallest count among equal weights; when no single removal
   is enough, the first of that order is hidden and the check repeats. Zero cells never help
   (their rows are zero) and stay shown.
5. **Audit.** :func:`derivable` is the check itself: it returns the hidden cells any reader can
   solve from the shown ones. :meth:`DisclosureControl.suppress` ends only when it returns none.

What this does not cover, and says so: bounds from non-negativity (a hidden cell known to lie
between two numbers, as in interval or integer-programming audits), and identities between
tables of different units (a visit count against a patient count) that are not linear.

Written here rather than taken from a library: ACRO (Python, University of the West of England)
suppresses small cells table by table but does not protect linked tables against each other, and
tau-ARGUS (Statistics Netherlands) and R ``sdcTable`` need Java or R. The check here is exact
linear algebra on a few hundred cells, small enough to run for every report.

References
----------
Hundepool A, Domingo-Ferrer J, Franconi L, Giessing S, Schulte Nordholt E, Spicer K, de Wolf P-P.
*Statistical Disclosure Control*. Chichester: Wiley; 2012. Chapter 4 (magnitude and frequency
tables: primary and secondary cell suppression, linked tables).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError

Key = tuple[str, str, str]
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class CountCell:
    """One count an output shows (or that a reader gets by subtracting two shown counts).

    Attributes
    ----------
    table, row, column : str
        Where the count is shown.
    units : frozenset
        The units counted (hashable keys such as ``("patient", id)``; never printed).
    """

    table: str
    row: str
    column: str
    units: frozenset[Hashable]

    @property
    def key(self) -> Key:
        return (self.table, self.row, self.column)

    @property
    def count(self) -> int:
        return len(self.units)


@dataclass
class Suppression:
    """The outcome of :meth:`DisclosureControl.suppress`.

    Attributes
    ----------
    k : int
        Counts 1 to k - 1 are small.
    hidden : set of (table, row, column)
        Every hidden cell.
    primary : set of (table, row, column)
        The hidden cells that are small themselves; the others protect them.
    """

    k: int
    hidden: set[Key] = field(default_factory=set)
    primary: set[Key] = field(default_factory=set)

    def is_hidden(self, table: str, row: str, column: str) -> bool:
        return (table, str(row), str(column)) in self.hidden

    def hidden_in(self, table: str) -> set[tuple[str, str]]:
        """(row, column) of the hidden cells of one table."""
        return {(r, c) for t, r, c in self.hidden if t == table}

    def note(self) -> str:
        return (f"Counts of 1 to {self.k - 1} are suppressed, and so are the counts that would "
                "let a reader recover them from the other numbers of this output (shown as "
                f"'{SUPPRESSED}' or left blank).")


class DisclosureControl:
    """Collects the count cells of one output and suppresses them together.

    Parameters
    ----------
    k : int
        Threshold: a count of 1 to ``k - 1`` units is hidden (default 5).

    Examples
    --------
    >>> dc = DisclosureControl(k=5)
    >>> dc.add("t", "a", "n", range(0, 3))        # 3 units: small
    >>> dc.add("t", "b", "n", range(3, 20))
    >>> dc.add("t", "all", "n", range(0, 20))     # the total would give "a" back
    >>> sorted(dc.suppress().hidden)
    [('t', 'a', 'n'), ('t', 'b', 'n')]
    """

    def __init__(self, k: int = 5) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ParameterError(f"k must be a whole number >= 1, not {k!r}")
        self.k = int(k)
        self.cells: dict[Key, CountCell] = {}

    def add(self, table: str, row: object, column: object, units: Iterable[Hashable]) -> None:
        """Register a count: ``units`` are the (hashable, never shown) units it counts."""
        cell = CountCell(str(table), str(row), str(column), frozenset(units))
        old = self.cells.get(cell.key)
        if old is not None and old.units != cell.units:
            raise ParameterError(f"cell {cell.key} registered twice with different units")
        self.cells[cell.key] = cell

    def suppress(self) -> Suppression:
        """Primary and secondary suppression over every registered cell (module docstring)."""
        keys = list(self.cells)
        if not keys:
            return Suppression(self.k)
        rows = atom_matrix([self.cells[key] for key in keys])
        counts = np.array([self.cells[key].count for key in keys])
        primary = {i for i, c in enumerate(counts) if 0 < c < self.k}
        hidden = set(primary)
        while True:
            shown = [i for i in range(len(keys)) if i not in hidden]
            solvable = _derivable_rows(rows, sorted(hidden), shown)
            if not solvable:
                break
            h = solvable[0]
            hidden.add(_complement(rows, h, shown, counts))
        return Suppression(self.k, {keys[i] for i in hidden}, {keys[i] for i in primary})


def atom_matrix(cells: list[CountCell]) -> np.ndarray:
    """Rows: the cells; columns: the non-empty atoms (units in exactly the same cells)."""
    index: dict[Hashable, int] = {}
    for cell in cells:
        for u in cell.units:
            index.setdefault(u, len(index))
    member = np.zeros((len(cells), len(index)), dtype=bool)
    for i, cell in enumerate(cells):
        member[i, [index[u] for u in cell.units]] = True
    if member.shape[1] == 0:
        return np.zeros((len(cells), 0))
    # one row per distinct membership pattern: each unit's pattern packed into bytes and
    # compared as one opaque value (np.unique(axis=0) on the bool matrix sorts field by field
    # and took 3 s of a 10,000-patient report)
    packed = np.ascontiguousarray(np.packbits(member.T, axis=1))
    width = packed.shape[1]
    distinct = np.unique(packed.view(f"V{width}").ravel())
    atoms = np.unpackbits(distinct.view(np.uint8).reshape(-1, width), axis=1,
                          count=len(cells)).astype(bool)
    return atoms.T.astype(float)


def derivable(cells: list[CountCell], hidden: Iterable[Key]) -> list[Key]:
    """The hidden cells a reader can compute exactly from the shown cells (linear algebra).

    Parameters
    ----------
    cells : list of CountCell
        Every cell of the output.
    hidden : iterable of (table, row, column)

    Returns
    -------
    list of (table, row, column)
        Hidden cells whose atom row lies in the span of the shown cells' rows.
    """
    keys = [c.key for c in cells]
    hidden = set(hidden)
    rows = atom_matrix(cells)
    h = [i for i, key in enumerate(keys) if key in hidden]
    s = [i for i, key in enumerate(keys) if key not in hidden]
    return [keys[i] for i in _derivable_rows(rows, h, s)]


def _basis(rows: np.ndarray) -> np.ndarray:
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        return np.zeros((0, rows.shape[1]))
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    tol = max(rows.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0) * 10
    return vt[s > tol]


def _derivable_rows(rows: np.ndarray, hidden: list[int], shown: list[int]) -> list[int]:
    if not hidden:
        return []
    basis = _basis(rows[shown])
    target = rows[hidden]
    resid = target - (target @ basis.T) @ basis
    return [h for h, r in zip(hidden, np.abs(resid).max(axis=1, initial=0.0), strict=True)
            if r < 1e-8]


def _complement(rows: np.ndarray, h: int, shown: list[int], counts: np.ndarray) -> int:
    """The shown cell to hide so that cell ``h`` is no longer determined (docstring step 4).

    Every way of writing row ``h`` from the shown rows is the minimum-norm one plus a vector
    of the left null space of the shown rows. Hiding shown cell ``i`` leaves ``h`` determined
    exactly when some such vector can cancel ``i``'s coefficient, i.e. when ``i`` takes part in a
    linear dependency among the shown rows. One SVD therefore answers for every candidate
    (testing each candidate with its own rank computation took 5 s of a 600-patient report).
    """
    shown_rows = rows[shown]
    coef, *_ = np.linalg.lstsq(shown_rows.T, rows[h], rcond=None)
    u, s, _ = np.linalg.svd(shown_rows, full_matrices=True)
    tol = max(shown_rows.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0) * 10
    dependent = np.linalg.norm(u[:, int(np.sum(s > tol)):], axis=1) > 1e-8
    position = {i: p for p, i in enumerate(shown)}
    weight = {i: round(abs(float(c)), 6) for i, c in zip(shown, coef, strict=True)}
    # the minimum-norm solution spreads weight over redundant routes (a group size is the
    # sum of every variable's column): cells on every route carry the largest weight
    used = [i for i in shown if weight[i] > 1e-9 and counts[i] > 0]
    used.sort(key=lambda i: (-weight[i], counts[i], i))
    for i in used:
        if not dependent[position[i]]:
            return i
    return used[0]
