"""Recognition of the drugs that matter for pain in ALS, by name or ATC code.

Classes: ``nonopioid_analgesic`` (paracetamol, NSAIDs, metamizole), ``opioid``,
``neuropathic_agent`` (gabapentinoids, amitriptyline, duloxetine, carbamazepine), ``antispastic``
(baclofen, tizanidine, dantrolene, tolperisone), ``anticramp`` (quinine, mexiletine), ``riluzole``.
ATC codes are WHO ATC/DDD index codes; the ATC-prefix rules cover drugs not named here.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

DRUGS: dict[str, tuple[str, str]] = {
    "paracetamol": ("N02BE01", "nonopioid_analgesic"),
    "acetaminophen": ("N02BE01", "nonopioid_analgesic"),
    "ibuprofen": ("M01AE01", "nonopioid_analgesic"),
    "naproxen": ("M01AE02", "nonopioid_analgesic"),
    "diclofenac": ("M01AB05", "nonopioid_analgesic"),
    "celecoxib": ("M01AH01", "nonopioid_analgesic"),
    "metamizole": ("N02BB02", "nonopioid_analgesic"),
    "aspirin": ("N02BA01", "nonopioid_analgesic"),
    "morphine": ("N02AA01", "opioid"),
    "oxycodone": ("N02AA05", "opioid"),
    "hydromorphone": ("N02AA03", "opioid"),
    "fentanyl": ("N02AB03", "opioid"),
    "tramadol": ("N02AX02", "opioid"),
    "codeine": ("R05DA04", "opioid"),
    "buprenorphine": ("N02AE01", "opioid"),
    "gabapentin": ("N03AX12", "neuropathic_agent"),
    "pregabalin": ("N03AX16", "neuropathic_agent"),
    "amitriptyline": ("N06AA09", "neuropathic_agent"),
    "duloxetine": ("N06AX21", "neuropathic_agent"),
    "carbamazepine": ("N03AF01", "neuropathic_agent"),
    "baclofen": ("M03BX01", "antispastic"),
    "tizanidine": ("M03BX02", "antispastic"),
    "dantrolene": ("M03CA01", "antispastic"),
    "tolperisone": ("M03BX04", "antispastic"),
    "quinine": ("P01BC01", "anticramp"),
    "mexiletine": ("C01BB02", "anticramp"),
    "riluzole": ("N07XX02", "riluzole"),
}
ATC_PREFIX_CLASS: tuple[tuple[str, str], ...] = (
    ("N02A", "opioid"),
    ("N02B", "nonopioid_analgesic"),
    ("M01A", "nonopioid_analgesic"),
    ("N03AX1", "neuropathic_agent"),
    ("M03", "antispastic"),
    ("N07XX02", "riluzole"),
)
CLASSES = ("nonopioid_analgesic", "opioid", "neuropathic_agent", "antispastic", "anticramp",
           "riluzole", "other")
PAIN_CLASSES = ("nonopioid_analgesic", "opioid", "neuropathic_agent", "antispastic", "anticramp")


def normalise_name(name: str | None) -> str | None:
    """Lower case, first word of letters (drops doses and forms: 'Baclofen 10mg tab' ->
    'baclofen')."""
    if name is None:
        return None
    m = re.search(r"[a-z]+", str(name).lower())
    return m.group(0) if m else None


def classify(names: np.ndarray, atc: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ATC code, drug class) for each drug name / ATC code; unknown -> (given ATC, "other").

    Each distinct name is normalised once (a register repeats a few hundred names over
    millions of rows)."""
    inverse, unique = pd.factorize(pd.Series(np.asarray(names, dtype=object)),
                                   use_na_sentinel=True)
    norm = [normalise_name(n) for n in unique]
    u_codes = np.array([DRUGS.get(n, (None, None))[0] if n else None for n in norm] + [None],
                       dtype=object)
    u_classes = np.array([DRUGS.get(n, (None, "other"))[1] if n else "other" for n in norm]
                         + ["other"], dtype=object)
    codes, classes = u_codes[inverse], u_classes[inverse]  # -1 (missing) -> the last entry
    if atc is not None:
        atc = np.asarray(atc, dtype=object)
        given = pd.notna(atc)
        codes = np.where(given, atc, codes)
        for i in np.flatnonzero(given & (classes == "other")):
            for prefix, cls in ATC_PREFIX_CLASS:
                if str(atc[i]).upper().startswith(prefix):
                    classes[i] = cls
                    break
    return codes, classes
