"""Write a cohort as a REDCap-style clinic export (coded values, calendar dates, wide visits),
the shape :func:`alspaincohort.load_tabular` reads with ``examples/redcap/mapping.yaml``.

Files: ``patients.csv`` (record_id, gender 1 = male / 2 = female, age_onset, site_onset 1-4,
ftd yes/no, enrol_date, onset_date, diagnosis_date), ``visits.csv`` (record_id, visit_date,
vas_mm, the twelve ALSFRS-R items alsfrs_1 ... alsfrs_12 with alsfrs_5a / alsfrs_5b, hads_a,
hads_d, fvc_pct), ``events.csv`` (record_id, event_date, event_type 1 = death,
2 = tracheostomy, 3 = full-time NIV, 4 = gastrostomy) and ``medications.csv`` (record_id,
drug_name, start_date, dose_mg). Enrolment dates are drawn between 2015 and 2020 from ``seed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..export import write_csv
from ..schema import ALSFRS_R_ITEMS

SEX_CODES = {"male": 1, "female": 2}
SITE_CODES = {"spinal": 1, "bulbar": 2, "respiratory": 3, "generalised": 4}
EVENT_CODES = {"death": 1, "tracheostomy": 2, "niv_full_time": 3, "gastrostomy": 4}
ITEM_COLUMNS = dict(zip(ALSFRS_R_ITEMS, ["alsfrs_1", "alsfrs_2", "alsfrs_3", "alsfrs_4",
                                         "alsfrs_5a", "alsfrs_5b", "alsfrs_6", "alsfrs_7",
                                         "alsfrs_8", "alsfrs_9", "alsfrs_10", "alsfrs_11",
                                         "alsfrs_12"], strict=True))


def to_redcap(cohort: Cohort, directory: str | Path, seed: int = 0) -> Path:
    """Write ``cohort`` as the four REDCap-style CSV files in ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    p = cohort.patients
    ids = p.patient_id.astype(str)
    enrol = pd.Timestamp("2015-01-01") + pd.to_timedelta(
        rng.integers(0, 6 * 365, len(p)), unit="D")
    base = pd.Series(enrol.to_numpy(), index=ids.to_numpy())

    def date(pid: pd.Series, day: pd.Series) -> pd.Series:
        when = pid.map(base) + pd.to_timedelta(day.astype(float), unit="D")
        return when.dt.strftime("%Y-%m-%d")

    write_csv(pd.DataFrame({
        "record_id": ids,
        "gender": p.sex.astype(str).map(SEX_CODES),
        "age_onset": p.age_at_onset,
        "site_onset": p.onset_site.astype(str).map(SITE_CODES),
        "ftd": p.ftd.map({True: "yes", False: "no"}),
        "enrol_date": date(ids, pd.Series(0, index=p.index)),
        "onset_date": date(ids, p.onset_day),
        "diagnosis_date": date(ids, p.diagnosis_day),
    }), out / "patients.csv", lineterminator="\n")
    a = cohort.assessments.assign(patient_id=cohort.assessments.patient_id.astype(str))
    pairs = {("vas_pain", "total"): "vas_mm", ("hads", "a"): "hads_a", ("hads", "d"): "hads_d",
             ("fvc", "percent_predicted"): "fvc_pct"}
    pairs.update({("alsfrs_r", item): col for item, col in ITEM_COLUMNS.items()})
    key = list(zip(a.instrument.astype(str), a.item.astype(str), strict=True))
    col = pd.Series([pairs.get(k) for k in key], index=a.index)
    sub = a[col.notna()].assign(col=col[col.notna()])
    wide = sub.pivot_table(index=["patient_id", "day"], columns="col", values="value",
                           aggfunc="first").reset_index()
    if "vas_mm" in wide:
        wide["vas_mm"] = (wide["vas_mm"].astype(float) * 10).round(1)
    wide.insert(1, "visit_date", date(wide.patient_id, wide.day))
    wide = wide.drop(columns="day").rename(columns={"patient_id": "record_id"})
    ordered = ["record_id", "visit_date", "vas_mm", *ITEM_COLUMNS.values(), "hads_a", "hads_d",
               "fvc_pct"]
    write_csv(wide.reindex(columns=ordered), out / "visits.csv", lineterminator="\n",
              float_format="%.6g")
    ev = cohort.events[cohort.events.event.isin(list(EVENT_CODES))]
    evid = ev.patient_id.astype(str)
    write_csv(pd.DataFrame({"record_id": evid, "event_date": date(evid, ev.day),
                            "event_type": ev.event.astype(str).map(EVENT_CODES)}),
              out / "events.csv", lineterminator="\n")
    m = cohort.medications
    mid = m.patient_id.astype(str)
    write_csv(pd.DataFrame({"record_id": mid, "drug_name": m.drug.astype(str).str.capitalize(),
                            "start_date": date(mid, m.start_day.astype(float)),
                            "dose_mg": m.dose_mg_per_day}),
              out / "medications.csv", lineterminator="\n")
    return out
