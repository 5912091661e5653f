"""Kaplan-Meier, survival quantiles and the log-rank test against R ``survival`` on a corpus of
240 drawn datasets, with and without delayed entry (issue 15).

Chain: ``tests/results/prognosis/corpus/make_survival.py`` draws the datasets (1-400 subjects,
no / some / all delayed entry, continuous or heavily tied times, 0 to all events, 1-4 groups,
1-3 strata); ``survival.R`` (survival 3.5.3) writes ``km.csv.gz`` (every ``survfit`` row, conf
types "log" and "log-log") and ``summary.csv.gz`` (``quantile.survfit`` medians with CIs; the
log-rank statistic, df, observed and expected events, unstratified and stratified);
``survival_at.R`` writes ``survival_at.csv.gz`` (``summary(survfit, times =)`` at 0, three
percentiles and the end of follow-up). The
delayed-entry log-rank reference is the definition on (entry, time] risk sets, itself checked in
the R script against ``survdiff`` (no delayed entry) and ``coxph(ties = "exact")``'s score test
(small datasets); both checks are stored and compared here too. CI needs no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.survival import (
    kaplan_meier_table,
    logrank_test,
    survival_at,
    survival_quantile,
)

CORPUS = Path(__file__).parent / "results" / "prognosis" / "corpus"
DATA = pd.read_csv(CORPUS / "survival_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "survival_spec.csv")
KM = pd.read_csv(CORPUS / "km.csv.gz")
SUMMARY = pd.read_csv(CORPUS / "summary.csv.gz")
AT = pd.read_csv(CORPUS / "survival_at.csv.gz")  # summary(survfit, times = ...): survival_at.R
COLUMNS = [("time", "time"), ("n_risk", "n_risk"), ("n_event", "n_event"),
           ("n_censor", "n_censor"), ("survival", "surv"), ("std_err", "std_err"),
           ("ci_low", "lower"), ("ci_high", "upper")]


def _summary(k: int, quantity: str) -> pd.Series:
    r = SUMMARY[(SUMMARY["dataset"] == k) & (SUMMARY["quantity"] == quantity)]
    return r.set_index("term")["value"]


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["delayed"]) == {"none", "some", "all"}
    assert (SPEC["p_event"] == 0).sum() >= 5 and (SPEC["p_event"] == 1).sum() >= 5
    assert (SPEC["n"] <= 3).sum() >= 10 and SPEC["n"].max() >= 400
    assert (SPEC["ties"] != "continuous").sum() >= 100
    # the stored log-rank definition equals survdiff and the exact-ties Cox score test
    for tag in ("logrank", "logrank_strat"):
        for check in ("survdiff", "coxph_exact"):
            a = SUMMARY[(SUMMARY["quantity"] == tag) & (SUMMARY["term"] == "statistic")]
            b = SUMMARY[SUMMARY["quantity"] == f"{tag}_{check}"]
            both = a.merge(b, on="dataset").dropna(subset=["value_x", "value_y"])
            assert len(both) >= 40
            np.testing.assert_allclose(both["value_x"], both["value_y"], rtol=1e-10)


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_kaplan_meier_and_logrank_agree_with_survival(k: int, agree) -> None:
    d = DATA[DATA["dataset"] == k]
    for conf_type in ("log", "log-log"):
        ref = KM[(KM["dataset"] == k) & (KM["conf_type"] == conf_type)]
        ours = kaplan_meier_table(d["time"], d["event"], d["entry"], conf_type=conf_type)
        assert len(ours) == len(ref)
        for a, b in COLUMNS:
            agree("Kaplan-Meier (survfit)", f"{a} ({conf_type} CI)", ours[a], ref[b],
                  dataset=k, rtol=1e-10, atol=1e-12)
        at = AT[(AT["dataset"] == k) & (AT["conf_type"] == conf_type)]
        mine = survival_at(ours, at["time"])
        for a, b in (("survival", "surv"), ("ci_low", "lower"), ("ci_high", "upper")):
            agree("Kaplan-Meier (survfit)", f"{a} at chosen times ({conf_type} CI)", mine[a],
                  at[b], dataset=k, rtol=1e-10, atol=1e-12)
        q = survival_quantile(ours, 0.5)
        rq = _summary(k, f"median_{conf_type}")
        agree("Kaplan-Meier (survfit)", f"median and CI ({conf_type})",
              [q["estimate"], q["ci_low"], q["ci_high"]],
              [rq["median"], rq["lower"], rq["upper"]], dataset=k, rtol=1e-12, atol=1e-12)
    for tag, strata, name in (("logrank", None, "Log-rank"),
                              ("logrank_strat", d["stratum"], "Stratified log-rank")):
        ref_stat = _summary(k, tag)
        if ref_stat.empty:
            continue
        if np.isnan(ref_stat["statistic"]):  # the test does not exist for these data
            with pytest.raises(ModelDataError):
                logrank_test(d["time"], d["event"], d["group"], d["entry"], strata)
            agree.refuse(f"{name} (coxph exact score)", k)
            continue
        r = logrank_test(d["time"], d["event"], d["group"], d["entry"], strata)
        est = f"{name} (coxph exact score)"
        agree(est, "statistic", r["statistic"], ref_stat["statistic"], dataset=k, rtol=1e-10)
        assert r["df"] == ref_stat["df"]
        agree(est, "observed", r["observed"], _summary(k, f"{tag}_observed"), dataset=k,
              rtol=1e-12)
        agree(est, "expected", r["expected"], _summary(k, f"{tag}_expected"), dataset=k,
              rtol=1e-10)


def test_entry_at_exit_and_entering_at_event_time() -> None:
    """Issue 15: a subject entering at time t is not at risk at t; entry == exit is refused
    rather than counting an event without its risk-set membership."""
    km = kaplan_meier_table([5, 5, 9], [1, 0, 1], [0, 5 - 1e-9, 5])
    assert km.loc[km["time"] == 5, "n_risk"].item() == 2
    assert km.loc[km["time"] == 9, "n_risk"].item() == 1
    with pytest.raises(ModelDataError, match="entry must be before time"):
        kaplan_meier_table([5, 3], [1, 1], [0, 3])
    with pytest.raises(ModelDataError, match="entry must be before time"):
        logrank_test([5, 3], [1, 1], ["a", "b"], [0, 3])


def test_logrank_uses_entry_times() -> None:
    """The left-truncated test differs from the one that ignores entry (issue 15 measured
    25-33% differences on the onset clock)."""
    rng = np.random.default_rng(3)
    n = 300
    g = rng.integers(0, 2, n)
    entry = rng.exponential(10, n) * (1 + g)
    time = entry + rng.exponential(20, n)
    event = rng.random(n) < 0.7
    with_entry = logrank_test(time, event, g, entry)["statistic"]
    without = logrank_test(time, event, g)["statistic"]
    assert abs(with_entry - without) > 0.1 * without
