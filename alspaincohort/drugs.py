"""Recognition of the drugs that matter for pain in ALS, by name or ATC code, and opioid doses
in oral morphine milligram equivalents.

Classes
-------
- ``nonopioid_analgesic``: paracetamol, NSAIDs, metamizole;
- ``opioid``: opioids, alone or combined with a non-opioid (ATC N02AJ: co-codamol and the like
  count as opioids, as the WHO ATC index classes them);
- ``neuropathic_agent``: gabapentinoids and the antidepressants and antiepileptics used for
  neuropathic pain (tricyclics amitriptyline and nortriptyline, the SNRIs duloxetine and
  venlafaxine, carbamazepine: the first- and second-line drugs of Finnerup et al. 2015);
- ``antispastic``: baclofen, tizanidine, dantrolene, tolperisone, and clonidine (an
  alpha-2 agonist like tizanidine, used for spasticity);
- ``anticramp``: quinine, mexiletine, and levetiracetam (open-label trial for cramps and
  spasticity in motor neuron disease, Bedlack et al. 2009);
- ``cannabinoid``: nabiximols, dronabinol, nabilone, cannabidiol (the review's cannabinoids;
  classed as non-opioid analgesics before issue 21 through the ATC prefix N02B);
- ``benzodiazepine``: diazepam, lorazepam, clonazepam, midazolam and the like (spasticity,
  cramps, and sedation at the end of life);
- ``topical_analgesic``: topical lidocaine, capsaicin, topical NSAIDs (ATC D04AB, N01BX04,
  M02A);
- ``corticosteroid``: systemic and injected corticosteroids (ATC H02AB; the standard schema does
  not record the route, so a corticosteroid injection for shoulder pain and an oral course
  share this class);
- ``antidepressant``: antidepressants other than those used for neuropathic pain (ATC N06A);
- ``riluzole``; ``other``.

:data:`PAIN_CLASSES` are the classes counted as pain treatment (``analgesic_use``): the
analgesics, neuropathic agents, antispastics, anticramp drugs, cannabinoids and topical
analgesics; benzodiazepines, corticosteroids and other antidepressants are not, as their
indication is not recorded.

ATC codes are those of the WHO ATC/DDD index; the ATC rules (:data:`ATC_CLASS`, most specific
code first) cover drugs not named here. A name is read as its drug names joined by "/", "+",
"&", "," or " and " (a dose or form after a name is ignored: "Paracetamol/Codeine 500/30 mg"):
a combination takes the class of its first component in :data:`CLASS_PRIORITY` (opioid first)
and the ATC code of the combination where the index has one (:data:`COMBINATIONS`).

Morphine milligram equivalents (:func:`morphine_equivalents`) use the conversion factors of the
CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022 (table "Morphine
milligram equivalent doses for commonly prescribed opioids"); the guideline gives no factor for
buprenorphine (its MME is left missing).

References
----------
Finnerup NB, Attal N, Haroutounian S, et al. Pharmacotherapy for neuropathic pain in adults: a
systematic review and meta-analysis. Lancet Neurol 2015;14(2):162-173.
Bedlack RS, Pattee GL, Tracey C, et al. Open-label pilot trial of levetiracetam for cramps and
spasticity in patients with motor neuron disease. Amyotroph Lateral Scler 2009;10(4):210-215.
Dowell D, Ragan KR, Jones CM, Baldwin GT, Chou R. CDC Clinical Practice Guideline for
Prescribing Opioids for Pain - United States, 2022. MMWR Recomm Rep 2022;71(3):1-95.
WHO Collaborating Centre for Drug Statistics Methodology. ATC/DDD Index. Oslo.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .errors import ParameterError

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
    "hydromorphone": ("N02AA03", "opioid"),
    "oxycodone": ("N02AA05", "opioid"),
    "dihydrocodeine": ("N02AA08", "opioid"),
    "oxymorphone": ("N02AA11", "opioid"),
    "fentanyl": ("N02AB03", "opioid"),
    "buprenorphine": ("N02AE01", "opioid"),
    "tramadol": ("N02AX02", "opioid"),
    "tapentadol": ("N02AX06", "opioid"),
    "methadone": ("N07BC02", "opioid"),
    "hydrocodone": ("R05DA03", "opioid"),
    "codeine": ("R05DA04", "opioid"),
    "gabapentin": ("N03AX12", "neuropathic_agent"),
    "pregabalin": ("N03AX16", "neuropathic_agent"),
    "amitriptyline": ("N06AA09", "neuropathic_agent"),
    "nortriptyline": ("N06AA10", "neuropathic_agent"),
    "duloxetine": ("N06AX21", "neuropathic_agent"),
    "venlafaxine": ("N06AX16", "neuropathic_agent"),
    "carbamazepine": ("N03AF01", "neuropathic_agent"),
    "baclofen": ("M03BX01", "antispastic"),
    "tizanidine": ("M03BX02", "antispastic"),
    "tolperisone": ("M03BX04", "antispastic"),
    "dantrolene": ("M03CA01", "antispastic"),
    "clonidine": ("C02AC01", "antispastic"),
    "quinine": ("P01BC01", "anticramp"),
    "mexiletine": ("C01BB02", "anticramp"),
    "levetiracetam": ("N03AX14", "anticramp"),
    "nabiximols": ("N02BG10", "cannabinoid"),
    "sativex": ("N02BG10", "cannabinoid"),
    "dronabinol": ("A04AD10", "cannabinoid"),
    "nabilone": ("A04AD11", "cannabinoid"),
    "cannabidiol": ("N03AX24", "cannabinoid"),
    "diazepam": ("N05BA01", "benzodiazepine"),
    "oxazepam": ("N05BA04", "benzodiazepine"),
    "lorazepam": ("N05BA06", "benzodiazepine"),
    "alprazolam": ("N05BA12", "benzodiazepine"),
    "temazepam": ("N05CD07", "benzodiazepine"),
    "midazolam": ("N05CD08", "benzodiazepine"),
    "clonazepam": ("N03AE01", "benzodiazepine"),
    "lidocaine": ("D04AB01", "topical_analgesic"),
    "capsaicin": ("N01BX04", "topical_analgesic"),
    "betamethasone": ("H02AB01", "corticosteroid"),
    "dexamethasone": ("H02AB02", "corticosteroid"),
    "methylprednisolone": ("H02AB04", "corticosteroid"),
    "prednisolone": ("H02AB06", "corticosteroid"),
    "prednisone": ("H02AB07", "corticosteroid"),
    "triamcinolone": ("H02AB08", "corticosteroid"),
    "fluoxetine": ("N06AB03", "antidepressant"),
    "citalopram": ("N06AB04", "antidepressant"),
    "paroxetine": ("N06AB05", "antidepressant"),
    "sertraline": ("N06AB06", "antidepressant"),
    "escitalopram": ("N06AB10", "antidepressant"),
    "mirtazapine": ("N06AX11", "antidepressant"),
    "riluzole": ("N07XX02", "riluzole"),
}
"""Drug name -> (ATC code, class)."""

COMBINATIONS: dict[frozenset[str], str] = {
    frozenset({"codeine", "paracetamol"}): "N02AJ06",
    frozenset({"tramadol", "paracetamol"}): "N02AJ13",
}
"""ATC codes of combination products (component names as in :data:`DRUGS`, paracetamol for
acetaminophen); "co-codamol" is codeine with paracetamol."""

ALIASES: dict[str, tuple[str, ...]] = {"cocodamol": ("codeine", "paracetamol"),
                                       "acetaminophen": ("paracetamol",)}

ATC_CLASS: tuple[tuple[str, str], ...] = (
    ("N02BG10", "cannabinoid"),
    ("A04AD10", "cannabinoid"),
    ("A04AD11", "cannabinoid"),
    ("N03AX24", "cannabinoid"),
    ("N03AX12", "neuropathic_agent"),
    ("N03AX16", "neuropathic_agent"),
    ("N03AX14", "anticramp"),
    ("N03AE01", "benzodiazepine"),
    ("N06AA09", "neuropathic_agent"),
    ("N06AA10", "neuropathic_agent"),
    ("N06AX21", "neuropathic_agent"),
    ("N06AX16", "neuropathic_agent"),
    ("N07BC02", "opioid"),
    ("R05DA03", "opioid"),
    ("R05DA04", "opioid"),
    ("C02AC01", "antispastic"),
    ("N02A", "opioid"),
    ("N02B", "nonopioid_analgesic"),
    ("M01A", "nonopioid_analgesic"),
    ("M02A", "topical_analgesic"),
    ("D04AB", "topical_analgesic"),
    ("N01BX04", "topical_analgesic"),
    ("M03", "antispastic"),
    ("P01BC01", "anticramp"),
    ("C01BB02", "anticramp"),
    ("N05BA", "benzodiazepine"),
    ("N05CD", "benzodiazepine"),
    ("H02AB", "corticosteroid"),
    ("N06A", "antidepressant"),
    ("N07XX02", "riluzole"),
)
"""ATC code (or prefix) -> class, the most specific first: the first that the code starts
with decides (N03AX12 is a gabapentinoid, other N03AX antiepileptics are not)."""

CLASSES = ("nonopioid_analgesic", "opioid", "neuropathic_agent", "antispastic", "anticramp",
           "cannabinoid", "benzodiazepine", "topical_analgesic", "corticosteroid",
           "antidepressant", "riluzole", "other")
PAIN_CLASSES = ("nonopioid_analgesic", "opioid", "neuropathic_agent", "antispastic", "anticramp",
                "cannabinoid", "topical_analgesic")
CLASS_PRIORITY = ("opioid", "cannabinoid", "neuropathic_agent", "antispastic", "anticramp",
                  "benzodiazepine", "corticosteroid", "topical_analgesic", "antidepressant",
                  "nonopioid_analgesic", "riluzole")
"""The class a combination product takes: its components' first in this order."""

MME_PER_MG: dict[str, float] = {
    "codeine": 0.15, "hydrocodone": 1.0, "hydromorphone": 5.0, "methadone": 4.7,
    "morphine": 1.0, "oxycodone": 1.5, "oxymorphone": 3.0, "tapentadol": 0.4, "tramadol": 0.2,
}
"""CDC 2022 conversion factors: oral morphine mg per mg/day of the opioid."""
MME_FENTANYL_PER_MCG_HOUR = 2.4
"""CDC 2022: morphine mg/day per microgram/hour of transdermal fentanyl."""

_SPLIT = re.compile(r"/|\+|&|,|\band\b|\bwith\b")


def normalise_name(name: str | None) -> str | None:
    """Lower case, first word of letters (drops doses and forms: 'Baclofen 10mg tab' ->
    'baclofen'); a hyphen inside a word is dropped first ('co-codamol' -> 'cocodamol')."""
    if name is None:
        return None
    m = re.search(r"[a-z]+", re.sub(r"(?<=[a-z])-(?=[a-z])", "", str(name).lower()))
    return m.group(0) if m else None


def components(name: Any) -> tuple[str, ...]:
    """The known drug names of a product name, in order ("Acetaminophen-Codeine 300/30" ->
    ('paracetamol', 'codeine')); empty when none is known.

    Examples
    --------
    >>> components("Paracetamol/Codeine 500/30 mg")
    ('paracetamol', 'codeine')
    >>> components("co-codamol")
    ('codeine', 'paracetamol')
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ()
    text = str(name).lower()
    whole = normalise_name(text)
    if whole in ALIASES and not _SPLIT.search(text):
        return tuple(c for c in ALIASES[whole])
    parts = _SPLIT.split(re.sub(r"(?<=[a-z])\s*-\s*(?=[a-z]{4})", "/", text))
    out: list[str] = []
    for part in parts:
        n = normalise_name(part)
        for c in ALIASES.get(n, (n,)) if n else ():
            if c in DRUGS and c not in out:
                out.append(c)
    return tuple(out)


def _classify_one(name: Any) -> tuple[str | None, str]:
    found = components(name)
    if not found:
        return None, "other"
    if len(found) == 1:
        return DRUGS[found[0]]
    classes = {DRUGS[c][1] for c in found}
    cls = next(c for c in CLASS_PRIORITY if c in classes)
    return COMBINATIONS.get(frozenset(found)), cls


def atc_class(code: Any) -> str:
    """The class of an ATC code by :data:`ATC_CLASS` ("other" when no rule matches)."""
    text = str(code).strip().upper()
    for prefix, cls in ATC_CLASS:
        if text.startswith(prefix):
            return cls
    return "other"


def classify(names: np.ndarray, atc: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ATC code, drug class) for each drug name / ATC code; unknown -> (given ATC, "other").

    A given ATC code is kept as the code; it decides the class where the name is unknown.
    Each distinct name is read once (a register repeats a few hundred names over millions of
    rows).

    Examples
    --------
    >>> codes, classes = classify(np.array(["Baclofen 10 mg", "co-codamol", "nabiximols"]))
    >>> classes.tolist()
    ['antispastic', 'opioid', 'cannabinoid']
    """
    inverse, unique = pd.factorize(pd.Series(np.asarray(names, dtype=object)),
                                   use_na_sentinel=True)
    known = [_classify_one(n) for n in unique]
    u_codes = np.array([k[0] for k in known] + [None], dtype=object)
    u_classes = np.array([k[1] for k in known] + ["other"], dtype=object)
    codes, classes = u_codes[inverse], u_classes[inverse]  # -1 (missing) -> the last entry
    if atc is not None:
        atc = np.asarray(atc, dtype=object)
        given = pd.notna(atc)
        codes = np.where(given, atc, codes)
        for i in np.flatnonzero(given & (classes == "other")):
            classes[i] = atc_class(atc[i])
    return codes, classes


def morphine_equivalents(names: Any, dose_mg_per_day: Any) -> np.ndarray:
    """Oral morphine milligram equivalents per day (MME) of opioid doses.

    Parameters
    ----------
    names : array of str
        Drug names (as :func:`classify` reads them).
    dose_mg_per_day : array of float
        The dose in mg per day (``medications.dose_mg_per_day``). For fentanyl it is read as a
        transdermal patch: mg/day x 1000 / 24 micrograms per hour, times 2.4.

    Returns
    -------
    ndarray of float
        MME per day; 0 for a drug that is not an opioid; NaN where the dose is missing, for an
        opioid without a CDC 2022 factor (buprenorphine, dihydrocodeine), and for a
        combination product (the dose column does not say which component it measures).

    Examples
    --------
    >>> mme = morphine_equivalents(["oxycodone", "fentanyl", "baclofen"], [20, 0.6, 30])
    >>> mme.round(6).tolist()
    [30.0, 60.0, 0.0]
    """
    name_arr = np.asarray(names, dtype=object).ravel()
    dose = np.asarray(dose_mg_per_day, dtype=float).ravel()
    if len(name_arr) != len(dose):
        raise ParameterError(f"names and dose_mg_per_day differ in length ({len(name_arr)} and "
                             f"{len(dose)})")
    inverse, unique = pd.factorize(pd.Series(name_arr), use_na_sentinel=True)
    factor = []
    for n in unique:
        found = components(n)
        if not found or DRUGS[found[0]][1] != "opioid" and len(found) == 1:
            factor.append(0.0)
        elif len(found) > 1:
            factor.append(np.nan if any(DRUGS[c][1] == "opioid" for c in found) else 0.0)
        elif found[0] == "fentanyl":
            factor.append(1000.0 / 24.0 * MME_FENTANYL_PER_MCG_HOUR)
        else:
            factor.append(MME_PER_MG.get(found[0], np.nan))
    f = np.append(np.asarray(factor, dtype=float), 0.0)[inverse]
    with np.errstate(invalid="ignore"):
        return np.where(f == 0.0, 0.0, f * dose)
