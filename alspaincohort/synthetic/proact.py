"""Write a cohort as PRO-ACT-format CSV files (``docs/sources.md`` section 3).

Files written (comma-separated, one row per record, keyed on ``subject_id``; ``*_Delta`` columns
are days relative to trial entry):

- ``PROACT_DEMOGRAPHICS.csv``: subject_id, Demographics_Delta, Age (years at baseline), Sex.
- ``PROACT_ALSHISTORY.csv``: subject_id, Subject_ALS_History_Delta, Onset_Delta,
  Diagnosis_Delta, Site_of_Onset and its one-hot columns.
- ``PROACT_ALSFRS.csv``: subject_id, ALSFRS_Delta, the item columns (5a or 5b), the R items and
  ALSFRS_R_Total (Q10_Respiratory and ALSFRS_Total stay empty: these are ALSFRS-R rows).
- ``PROACT_FVC.csv``: subject_id, Forced_Vital_Capacity_Delta, pct_of_Normal_Trial_1.
- ``PROACT_DEATHDATA.csv``: subject_id, Subject_Died (Yes/No), Death_Days.
- ``PROACT_ELESCORIAL.csv``: subject_id, delta_days, el_escorial.
- ``PROACT_RILUZOLE.csv``: subject_id, Subject_used_Riluzole, Riluzole_use_Delta.
- ``PROACT_CONMEDS.csv``: subject_id, Medication_Coded, ATC_Code, Start_Delta, Stop_Delta, Dose,
  Unit, Indication (riluzole excluded: it has its own form).
- ``pain_questionnaire.csv`` (not a PRO-ACT form; PRO-ACT has no pain scale): subject_id, Delta,
  VAS_mm, BPI_Severity, BPI_Interference, HADS_A, HADS_D, ADI12_Total and the ALSAQ-40 scales.
- ``pain_sites.csv``: subject_id, Delta, Site, Pain_Type.

What the format cannot carry (:data:`NOT_CARRIED`): tracheostomy, full-time NIV, gastrostomy (only
through item 5b), withdrawal and last-contact events, FTD, C9orf72, SOD1, the day pain began,
the source label; respiratory onset is written as "Onset: Other" and generalised onset as
"Onset: Limb and Bulbar".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..export import write_csv
from ..schema import ALSFRS_R_ITEMS

NOT_CARRIED: tuple[str, ...] = (
    "events: tracheostomy, niv_full_time, gastrostomy, withdrawal, last_contact",
    "patients: ftd, c9orf72, sod1, pain_onset_day, source",
    "patients.onset_site: respiratory -> 'Onset: Other', generalised -> 'Onset: Limb and Bulbar'",
    "assessments: alsaq40 summary_index is written but is derivable from the scales",
    "assessments: proxy ratings (respondent caregiver or clinician); PRO-ACT has none",
)

ALSFRS_COLUMNS: dict[str, str] = dict(
    zip(
        ALSFRS_R_ITEMS,
        (
            "Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
            "Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy",
            "Q6_Dressing_and_Hygiene", "Q7_Turning_in_Bed", "Q8_Walking", "Q9_Climbing_Stairs",
            "R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency",
        ),
        strict=True,
    )
)
SITE_OF_ONSET = {
    "spinal": "Onset: Limb",
    "bulbar": "Onset: Bulbar",
    "respiratory": "Onset: Other",
    "generalised": "Onset: Limb and Bulbar",
}
ONE_HOT = {
    "Site_of_Onset___Bulbar": "Onset: Bulbar",
    "Site_of_Onset___Limb": "Onset: Limb",
    "Site_of_Onset___Limb_and_Bulbar": "Onset: Limb and Bulbar",
    "Site_of_Onset___Other": "Onset: Other",
    "Site_of_Onset___Spine": "Onset: Spine",
}
EL_ESCORIAL_TEXT = {
    "definite": "Definite",
    "probable": "Probable",
    "probable_lab_supported": "Probable Laboratory Supported",
    "possible": "Possible",
    "suspected": "Suspected",
}
QUESTIONNAIRE_COLUMNS: dict[tuple[str, str], str] = {
    ("vas_pain", "total"): "VAS_mm",
    ("bpi", "severity"): "BPI_Severity",
    ("bpi", "interference"): "BPI_Interference",
    ("hads", "a"): "HADS_A",
    ("hads", "d"): "HADS_D",
    ("adi12", "total"): "ADI12_Total",
    ("alsaq40", "physical_mobility"): "ALSAQ40_Physical_Mobility",
    ("alsaq40", "adl_independence"): "ALSAQ40_ADL_Independence",
    ("alsaq40", "eating_drinking"): "ALSAQ40_Eating_Drinking",
    ("alsaq40", "communication"): "ALSAQ40_Communication",
    ("alsaq40", "emotional_reactions"): "ALSAQ40_Emotional_Reactions",
    ("alsaq40", "summary_index"): "ALSAQ40_Summary_Index",
}


def _wide(cohort: Cohort, pairs: dict[tuple[str, str], str], day_col: str) -> pd.DataFrame:
    a = cohort.rated_by("patient")  # PRO-ACT has no proxy ratings
    insts = sorted({i for i, _ in pairs})
    sub = a[a["instrument"].isin(insts)]
    key = sub["instrument"].astype(str) + "/" + sub["item"].astype(str)
    wanted = {f"{i}/{it}": col for (i, it), col in pairs.items()}
    sub = sub[key.isin(list(wanted))]
    key = key[key.isin(list(wanted))]
    wide = (
        sub.assign(col=key.map(wanted), patient_id=sub["patient_id"].astype(str))
        .pivot_table(index=["patient_id", "day"], columns="col", values="value",
                     aggfunc="first", observed=True)
        .reset_index()
    )
    wide = wide.rename(columns={"patient_id": "subject_id", "day": day_col})
    cols = ["subject_id", day_col] + [c for c in pairs.values() if c in wide.columns]
    wide = wide.reindex(columns=["subject_id", day_col, *pairs.values()])
    return wide[cols + [c for c in pairs.values() if c not in cols]]


def _write(df: pd.DataFrame, path: Path) -> None:
    write_csv(df, path, lineterminator="\n")


def to_proact(cohort: Cohort, directory: str | Path) -> Path:
    """Write ``cohort`` as PRO-ACT-format CSV files into ``directory`` (created if needed).

    Values are written at full precision (pain as VAS millimetres), so the standard tables can
    be rebuilt from the files except for :data:`NOT_CARRIED`. Output is byte-identical for the
    same cohort.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    p = cohort.patients
    sid = p["patient_id"].astype(str)
    onset = p["onset_day"].astype("float64")
    _write(
        pd.DataFrame(
            {
                "subject_id": sid,
                "Demographics_Delta": 0,
                "Age": p["age_at_onset"] - onset / 365.25,
                "Sex": p["sex"].astype(str).str.capitalize(),
            }
        ),
        out / "PROACT_DEMOGRAPHICS.csv",
    )
    site_text = p["onset_site"].astype(str).map(SITE_OF_ONSET)
    history = pd.DataFrame(
        {
            "subject_id": sid,
            "Subject_ALS_History_Delta": 0,
            "Onset_Delta": p["onset_day"],
            "Diagnosis_Delta": p["diagnosis_day"],
            "Site_of_Onset": site_text,
        }
    )
    for col, text in ONE_HOT.items():
        history[col] = np.where(site_text == text, 1, np.nan)
    _write(history, out / "PROACT_ALSHISTORY.csv")

    alsfrs_pairs = {("alsfrs_r", item): col for item, col in ALSFRS_COLUMNS.items()}
    alsfrs_pairs[("alsfrs_r", "total")] = "ALSFRS_R_Total"
    alsfrs = _wide(cohort, alsfrs_pairs, "ALSFRS_Delta")
    alsfrs.insert(alsfrs.columns.get_loc("R_1_Dyspnea"), "Q10_Respiratory", np.nan)
    alsfrs.insert(alsfrs.columns.get_loc("ALSFRS_R_Total"), "ALSFRS_Total", np.nan)
    _write(alsfrs, out / "PROACT_ALSFRS.csv")

    fvc = _wide(cohort, {("fvc", "percent_predicted"): "pct_of_Normal_Trial_1"},
                "Forced_Vital_Capacity_Delta")
    _write(fvc, out / "PROACT_FVC.csv")

    ev = cohort.events
    deaths = ev[ev["event"] == "death"]
    death_day = deaths.assign(pid=deaths["patient_id"].astype(str)).groupby("pid")["day"].min()
    died = sid.map(death_day)
    _write(
        pd.DataFrame(
            {
                "subject_id": sid,
                "Subject_Died": np.where(died.notna(), "Yes", "No"),
                "Death_Days": pd.array(died, dtype="Int64"),
            }
        ),
        out / "PROACT_DEATHDATA.csv",
    )
    _write(
        pd.DataFrame(
            {
                "subject_id": sid,
                "delta_days": 0,
                "el_escorial": p["el_escorial"].astype("object").map(EL_ESCORIAL_TEXT),
            }
        ),
        out / "PROACT_ELESCORIAL.csv",
    )
    med = cohort.medications.assign(subject_id=cohort.medications["patient_id"].astype(str))
    ril = med[med["drug"] == "riluzole"].drop_duplicates("subject_id").set_index("subject_id")
    _write(
        pd.DataFrame(
            {
                "subject_id": sid,
                "Subject_used_Riluzole": np.where(sid.isin(ril.index), "Yes", "No"),
                "Riluzole_use_Delta": pd.array(sid.map(ril["start_day"]), dtype="Int64"),
            }
        ),
        out / "PROACT_RILUZOLE.csv",
    )
    other = med[med["drug"] != "riluzole"]
    _write(
        pd.DataFrame(
            {
                "subject_id": other["subject_id"],
                "Medication_Coded": other["drug"].astype(str),
                "ATC_Code": other["atc_code"].astype("object"),
                "Start_Delta": other["start_day"],
                "Stop_Delta": other["stop_day"],
                "Dose": other["dose_mg_per_day"],
                "Unit": "mg/day",
                "Indication": other["indication"].astype("object"),
            }
        ),
        out / "PROACT_CONMEDS.csv",
    )
    quest = _wide(cohort, QUESTIONNAIRE_COLUMNS, "Delta")
    quest["VAS_mm"] = quest["VAS_mm"] * 10.0
    _write(quest, out / "pain_questionnaire.csv")
    sites = cohort.pain_sites
    _write(
        pd.DataFrame(
            {
                "subject_id": sites["patient_id"].astype(str),
                "Delta": sites["day"],
                "Site": sites["site"].astype(str),
                "Pain_Type": sites["pain_type"].astype(str),
            }
        ),
        out / "pain_sites.csv",
    )
    return out
