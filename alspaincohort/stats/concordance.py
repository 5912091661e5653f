"""Concordance (Harrell's C, Uno's C) for right-censored and counting-process data.

Why not lifelines ``concordance_index``: it handles only right-censored data (no (start, stop]
rows, no time weights) and loops in Python; ``survival::concordance`` is the reference
(``tests/results/prognosis``) and is reproduced here, including its tie rules: an event is
compared with every row at risk at its time (start < t <= stop) except other events at the
same time (pairs tied on time are not comparable; a row censored at t is still at risk), and
pairs tied on the risk score count one half.

Method
------
For an event at time t with risk score r, the rows at risk with a score below r number
#{stop >= t, score < r} - #{start >= t, score < r} - #{events at t, score < r}. Each term is an
offline two-dimensional dominance count: sort the rows by time (descending), so the rows with
time >= t form a prefix of length k; the prefix is the union of at most log2(n) aligned blocks
of sizes 2^L (the binary digits of k), and within every block the scores are kept sorted, one
sorted array per level (each level's order is the one global score order regrouped by block
with 16-bit radix passes, O(n) per level). A query is one ``searchsorted`` per level; the last
k mod 32 rows of the prefix are compared directly. The rows tied on the score and the whole
prefix are plain prefix sums. O(n log^2 n) in all and fully vectorised (bootstrap validation
calls this thousands of times), where the pairwise comparison is O(events x rows); on 20,000
and 200,000 right-censored patients it takes less time than ``survival::concordance``
(``benchmarks/bench_prognosis.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDataError, ParameterError
from ..validation import check_scores, check_survival


@dataclass(frozen=True)
class ConcordanceCounts:
    """Weighted pair counts, named as R's ``concordance()$count``.

    ``concordance`` = (concordant + tied_x / 2) / (concordant + discordant + tied_x).
    """

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float

    @property
    def concordance(self) -> float:
        total = self.concordant + self.discordant + self.tied_x
        return (self.concordant + self.tied_x / 2) / total if total else float("nan")


class _PrefixRankCounter:
    """Weighted counts of {points among the first k (in a fixed order) with rank < r}, for
    many (k, r) queries at once.

    The prefix is cut into aligned blocks of sizes 2^L (the binary digits of k). Blocks of at
    least ``2^LOW`` points are counted with one sorted array per level; the last k mod 2^LOW
    points are compared directly (a few dozen per query, cheaper than five more levels)."""

    LOW = 5
    CHUNK = 1 << 16  # queries compared directly at once (bounds the temporary arrays)

    def __init__(self, ranks: np.ndarray, weights: np.ndarray, n_ranks: int) -> None:
        n = len(ranks)
        self.n, self.m = n, np.int64(n_ranks + 1)
        self.ranks, self.weights = ranks, weights
        self.levels: list[tuple[int, np.ndarray, np.ndarray]] = []
        # every level's order comes from the one global rank order, stably regrouped by block;
        # NumPy sorts 16-bit integers by radix in O(n), so block numbers are sorted 16 bits at
        # a time (least significant first; each pass stable)
        by_rank = np.argsort(ranks, kind="stable")
        level = self.LOW
        while (1 << level) <= n:
            order = by_rank
            shift = 0
            while (n - 1) >> (level + shift) > 0:
                digit = ((order >> (level + shift)) & 0xFFFF).astype(np.uint16)
                order = order[np.argsort(digit, kind="stable")]
                shift += 16
            key = (order >> level) * self.m + ranks[order]
            cum = np.concatenate([[0.0], np.cumsum(weights[order])])
            self.levels.append((level, key, cum))
            level += 1

    def count(self, k: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Sum of weights over points at positions < k with rank < r."""
        k = np.asarray(k, dtype=np.int64)
        out = self._direct(k, r)
        for level, skey, cum in self.levels:
            has = (k >> level) & 1 == 1
            if not has.any():
                continue
            kk, rr = k[has], r[has]
            bid = (kk >> (level + 1)) << 1  # the block of this size that ends at the prefix
            first = bid << level
            pos = np.searchsorted(skey, bid * self.m + rr, side="left")
            out[has] += cum[pos] - cum[first]
        return out

    def _direct(self, k: np.ndarray, r: np.ndarray) -> np.ndarray:
        """The points at positions from k rounded down to a multiple of 2^LOW up to k."""
        out = np.zeros(len(k))
        if self.n == 0:
            return out
        step = np.arange(1 << self.LOW, dtype=np.int64)
        for lo in range(0, len(k), self.CHUNK):
            kk, rr = k[lo:lo + self.CHUNK], r[lo:lo + self.CHUNK]
            pos = ((kk >> self.LOW) << self.LOW)[:, None] + step
            inside = pos < kk[:, None]
            pos = np.minimum(pos, self.n - 1)
            hit = inside & (self.ranks[pos] < rr[:, None])
            out[lo:lo + self.CHUNK] = (self.weights[pos] * hit).sum(axis=1)
        return out


def _dominance(times: np.ndarray, ranks: np.ndarray, weights: np.ndarray, n_ranks: int,
               q_time: np.ndarray, q_rank: np.ndarray) -> list[np.ndarray]:
    """For each query (q_time, q_rank), the summed weight of the points with time >= q_time
    and rank < q_rank, with rank == q_rank, and in all. Only the first needs the
    two-dimensional counter: in descending time order the points with time >= q_time are a
    prefix, so the other two are one prefix sum each (in time order, and in time order within
    each rank)."""
    order = np.argsort(-times, kind="stable")
    r_sorted, w_sorted = ranks[order], weights[order]
    counter = _PrefixRankCounter(r_sorted, w_sorted, n_ranks)
    k = np.searchsorted(-times[order], -q_time, side="right")  # points with time >= q_time
    total = np.concatenate([[0.0], np.cumsum(w_sorted)])[k]
    by_rank = np.argsort(r_sorted, kind="stable")  # within a rank, still in time order
    m = np.int64(len(times) + 1)
    key = r_sorted[by_rank] * m + by_rank
    cum = np.concatenate([[0.0], np.cumsum(w_sorted[by_rank])])
    tied = (cum[np.searchsorted(key, q_rank * m + k, side="left")]
            - cum[np.searchsorted(key, q_rank * m, side="left")])
    return [counter.count(k, q_rank), tied, total]


def _within_group(group: np.ndarray, ranks: np.ndarray, weights: np.ndarray, n_ranks: int,
                  q_ranks: list[np.ndarray]) -> list[np.ndarray]:
    """For each point and each threshold r, the summed weight of the points of its own group
    with rank < r."""
    m = np.int64(n_ranks + 1)
    key = group * m + ranks
    order = np.argsort(key, kind="stable")
    skey = key[order]
    cum = np.concatenate([[0.0], np.cumsum(weights[order])])
    first = cum[np.searchsorted(skey, group * m, side="left")]
    return [cum[np.searchsorted(skey, group * m + r, side="left")] - first for r in q_ranks]


def concordance_counts(start: np.ndarray | None, stop: np.ndarray, event: np.ndarray,
                       risk: np.ndarray, weights: np.ndarray | None = None,
                       event_time_weights: np.ndarray | None = None) -> ConcordanceCounts:
    """Concordant, discordant and tied pairs; a higher ``risk`` predicts an earlier event.
    (:func:`concordance_counts_weighted` counts once for several event weightings.)

    Parameters
    ----------
    start : array or None
        Entry times of (start, stop] rows; None for right-censored data (everyone at risk from
        the beginning).
    stop, event, risk : arrays
        Exit time, event indicator (0/1) and risk score of each row.
    weights : array, optional
        Case weights (a pair counts ``w_i w_j``).
    event_time_weights : array, optional
        A weight for each event row, multiplying all its pairs (Uno's C: 1 / G(t-)^2).
    """
    return concordance_counts_weighted(start, stop, event, risk, weights,
                                       [event_time_weights])[0]


def concordance_counts_weighted(start: np.ndarray | None, stop: np.ndarray, event: np.ndarray,
                                risk: np.ndarray, weights: np.ndarray | None,
                                event_time_weights: list[np.ndarray | None]
                                ) -> list[ConcordanceCounts]:
    """:func:`concordance_counts` for each of several event weightings, from one count of the
    pairs (Harrell's and Uno's C of one risk score cost one count).

    Parameters
    ----------
    start, stop, event, risk, weights
        As :func:`concordance_counts`.
    event_time_weights : list of (array or None)
        Weightings of the event rows (None: every event weighs 1).

    Returns
    -------
    list of ConcordanceCounts
        One per weighting, in order.

    Examples
    --------
    >>> h, u = concordance_counts_weighted(None, [1.0, 2.0, 3.0], [1, 1, 0], [3, 1, 2], None,
    ...                                    [None, [2.0, 2.0]])
    >>> (h.concordant, u.concordant)
    (2.0, 4.0)
    """
    stop, event, start = check_survival(stop, event, start, names=("stop", "event", "start"))
    risk = check_scores(risk, "risk", len(stop))
    w = np.ones(len(stop)) if weights is None else check_scores(weights, "weights", len(stop),
                                                               low=0.0)
    uniq, ranks = np.unique(risk, return_inverse=True)
    ranks = ranks.astype(np.int64).ravel()
    n_ranks = len(uniq)
    ev = np.flatnonzero(event)
    qt, qr = stop[ev], ranks[ev]
    if start is None:
        below, tied, total = _dominance(stop, ranks, w, n_ranks, qt, qr)
    else:  # rows that enter at or after t are not at risk at t: each row also counts -w at
        # its entry time, so one count over 2n points gives {stop >= t} - {start >= t}
        below, tied, total = _dominance(np.concatenate([stop, np.asarray(start, dtype=float)]),
                                        np.concatenate([ranks, ranks]),
                                        np.concatenate([w, -w]), n_ranks, qt, qr)
    upto = below + tied
    thresholds = [qr, qr + 1, np.full(len(ev), n_ranks, dtype=np.int64)]
    # other events at the same time are not comparable (R's tied.y)
    time_group = np.unique(qt, return_inverse=True)[1].astype(np.int64).ravel()
    tie_below, tie_upto, same_time = _within_group(time_group, qr, w[ev], n_ranks, thresholds)
    below, upto, total = below - tie_below, upto - tie_upto, total - same_time
    out = []
    for etw in event_time_weights:
        qw = w[ev] * (1.0 if etw is None else check_scores(etw, "event_time_weights", len(ev),
                                                           low=0.0))
        out.append(ConcordanceCounts(
            concordant=float((qw * below).sum()),
            discordant=float((qw * (total - upto)).sum()),
            tied_x=float((qw * (upto - below)).sum()),
            tied_y=float((qw * (same_time - w[ev])).sum() / 2),
        ))
    return out


def censoring_survival(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier G of the censoring distribution (censored rows are its events).

    At a time with both events and censorings the events come first: a subject whose event is
    at t is no longer at risk of being censored at t (R's ``finegray``, and the weights R's
    ``concordance(timewt = "n/G2")`` uses, to the last digit).

    Returns the distinct censoring times and G just after each.
    """
    time = np.asarray(time, dtype=float)
    ev = np.asarray(event).astype(bool)
    cens = ~ev
    ctimes = np.unique(time[cens])
    n_risk = len(time) - np.searchsorted(np.sort(time), ctimes, side="left")
    et = np.sort(time[ev])
    n_risk = n_risk - (np.searchsorted(et, ctimes, side="right")
                       - np.searchsorted(et, ctimes, side="left"))
    m = np.bincount(np.searchsorted(ctimes, time[cens]), minlength=len(ctimes))
    return ctimes, np.cumprod(1.0 - m / n_risk)


class CensoringDistribution:
    """G, the Kaplan-Meier of the censoring distribution (:func:`censoring_survival`), of one
    right-censored follow-up, computed once for every measure that weights by it: Uno's C
    (:func:`harrell_and_uno_c`, :func:`uno_c`), the time-dependent AUC and the Brier score
    (:mod:`alspaincohort.stats.prediction`) take it as ``censoring=`` (a bootstrap evaluates
    them for many risk scores on the same follow-up).

    Parameters
    ----------
    time, event : arrays
        Follow-up time and 0/1 event indicator.

    Examples
    --------
    >>> g = CensoringDistribution([2.0, 3.0, 5.0, 7.0], [1, 0, 1, 0])
    >>> g.at([3.0, 4.0]).tolist()
    [1.0, 0.6666666666666667]
    """

    def __init__(self, time: Any, event: Any) -> None:
        t, e, _ = check_survival(time, event)
        self._key = _follow_up_key(t, e)
        self.times, self.survival = censoring_survival(t, e)

    def at(self, at: Any, before: bool = True) -> np.ndarray:
        """G just before each time in ``at`` (G(t-), ``before=True``) or at it, censorings at t
        included (G(t))."""
        idx = np.searchsorted(self.times, np.asarray(at, dtype=float),
                              side="left" if before else "right")
        return np.r_[1.0, self.survival][idx]

    def check(self, time: np.ndarray, event: np.ndarray) -> CensoringDistribution:
        """Itself, after checking that it was made from this follow-up (validated arrays):
        :class:`ParameterError` otherwise."""
        key = _follow_up_key(time, event)
        if key[:2] != self._key[:2] or any(abs(a - b) > 1e-12 * abs(b) for a, b in
                                            zip(key[2:], self._key[2:], strict=True)):
            raise ParameterError(
                f"censoring: made from another follow-up ({self._key[0]} subjects, "
                f"{self._key[1]} events) than the one given ({len(time)} subjects, "
                f"{int(event.sum())} events)")
        return self


def _follow_up_key(time: np.ndarray, event: np.ndarray) -> tuple[float, ...]:
    """What identifies a follow-up up to the order of its subjects (G does not depend on the
    order): n, events, and the sums of the times, their squares and the event times (compared
    to 1e-12: a reordering changes the sums' rounding)."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event)
    e = e if e.dtype == bool else e.astype(bool)
    # dot products: no temporaries (G is checked by every metric of a bootstrap replicate)
    return (len(t), int(np.count_nonzero(e)), float(t.sum()), float(t @ t),
            float(t @ e.astype(float)))


def censoring_of(time: np.ndarray, event: np.ndarray,
                 censoring: CensoringDistribution | None) -> CensoringDistribution:
    """``censoring`` checked against the (validated) follow-up, or G computed from it."""
    if censoring is None:
        return CensoringDistribution(time, event)
    if not isinstance(censoring, CensoringDistribution):
        raise ParameterError(f"censoring must be a CensoringDistribution, not "
                             f"{type(censoring).__name__}")
    return censoring.check(time, event)


def _defined(counts: ConcordanceCounts, what: str) -> float:
    if counts.concordant + counts.discordant + counts.tied_x == 0:
        raise ModelDataError(f"{what}: no comparable pair (no event with a later time at "
                             "risk): the concordance is not defined")
    return counts.concordance


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray,
              start: np.ndarray | None = None) -> float:
    """Harrell's C (R ``concordance(..., timewt = "n")``); higher risk = earlier event.

    Raises :class:`ModelDataError` when no pair is comparable (no event, or one subject),
    where R returns NaN.
    """
    return _defined(concordance_counts(start, time, event, risk), "harrell_c")


def uno_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray,
          tau: float | None = None, censoring: CensoringDistribution | None = None) -> float:
    """Uno's C: each event's pairs weighted by 1 / G(t-)^2 (R ``concordance(...,
    timewt = "n/G2", ymax = tau)``); events after ``tau`` are left out. Raises
    :class:`ModelDataError` when no pair is comparable (no event by ``tau``). ``censoring``:
    G of this follow-up computed beforehand (:class:`CensoringDistribution`)."""
    time, event, risk, tw = _uno_weights(time, event, risk, tau, censoring)
    return _defined(concordance_counts(None, time, event, risk, event_time_weights=tw),
                    "uno_c")


def harrell_and_uno_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray,
                      tau: float | None = None,
                      censoring: CensoringDistribution | None = None) -> tuple[float, float]:
    """Harrell's C (:func:`harrell_c`) and Uno's C (:func:`uno_c`) of right-censored data from
    one count of the pairs (bootstrap validation computes both thousands of times).

    Parameters
    ----------
    time, event : arrays
        Follow-up time and 0/1 event indicator.
    risk : array
        Risk score; higher = earlier event.
    tau : float, optional
        Uno's truncation time (events after it are left out of Uno's C).
    censoring : CensoringDistribution, optional
        G of this follow-up computed beforehand (checked to come from it); default computed
        here.

    Returns
    -------
    tuple of float
        (Harrell's C, Uno's C); :class:`ModelDataError` when either has no comparable pair.

    Examples
    --------
    >>> h, u = harrell_and_uno_c([2.0, 3.0, 5.0, 7.0], [1, 1, 0, 1], [0.9, 0.5, 0.4, 0.1])
    >>> h == harrell_c([2.0, 3.0, 5.0, 7.0], [1, 1, 0, 1], [0.9, 0.5, 0.4, 0.1])
    True
    """
    time, event, risk, tw = _uno_weights(time, event, risk, tau, censoring)
    harrell, uno = concordance_counts_weighted(None, time, event, risk, None, [None, tw])
    return _defined(harrell, "harrell_c"), _defined(uno, "uno_c")


def _uno_weights(time: Any, event: Any, risk: Any, tau: float | None,
                 censoring: CensoringDistribution | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The validated arrays and Uno's weight of each event: 1 / G(t-)^2, 0 after ``tau``."""
    time, event, _ = check_survival(time, event)
    risk = check_scores(risk, "risk", len(time))
    if tau is not None and not np.isfinite(tau):
        raise ParameterError(f"tau must be a finite time, not {tau!r}")
    g = censoring_of(time, event, censoring).at(time[event])
    tw = np.where(g > 0, 1.0 / g**2, 0.0)
    if tau is not None:
        tw = np.where(time[event] > tau, 0.0, tw)
    return time, event, risk, tw
