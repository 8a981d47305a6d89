"""The published ketamine compartment models: every number, its source and how far it is confirmed.

Source of each status: ../shared/reference/pk.md. Values "as implemented in opentiva 1.1.2" were transcribed
from opentiva's `ketamine.py`; the end-of-infusion predictions in pk.md (scenario S1) are checked against
them in tests/unit/pk/test_models.py. Every ketamine ke0 in use is opentiva's own derivation from a time to
peak effect of 1 min after a bolus; none is published, so each is labelled derived. For Herd and Hornik,
whose rate constants depend on weight, the derived ke0 gives tpeak = 1 min at about 20 kg and about 1.1 min
at 70 kg (tests/unit/pk/test_models.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ketaflow.domain.pk.parameters import (
    NOT_CONFIRMED_CAVEAT,
    AllometricClearances,
    Citation,
    Confirmation,
    EffectSite,
    Ke0Basis,
    MicroConstants,
    PkModel,
    Variability,
)

RACEMIC_KETAMINE = "racemic ketamine"

_KE0_FROM_TPEAK = "derived by opentiva 1.1.2 from a time to peak effect of 1 min; not a published value"


def _derived_ke0(ke0_per_min: float) -> EffectSite:
    return EffectSite(ke0_per_min=ke0_per_min, basis=Ke0Basis.DERIVED, note=_KE0_FROM_TPEAK)


# Source: Domino et al., "Ketamine kinetics in unmedicated and diazepam-premedicated subjects" (Clin Pharmacol
# Ther 1984, journal and year not confirmed); opentiva cites PMID 7198883, not confirmed to be this paper.
# Values as implemented in opentiva 1.1.2; not confirmed against the paper, corroborated only by the
# independent fus_anes code (same constants).
DOMINO = PkModel(
    id="domino",
    name="Domino 1984",
    drug=RACEMIC_KETAMINE,
    compartments=3,
    parameters=MicroConstants(
        v1_l_per_kg=0.063,
        k10_per_min=0.4381,
        k12_per_min=0.5921,
        k21_per_min=0.2470,
        k13_per_min=0.5900,
        k31_per_min=0.0146,
    ),
    effect_site=_derived_ke0(0.652),
    citation=Citation(
        "Domino EF et al. Ketamine kinetics in unmedicated and diazepam-premedicated subjects. "
        "Clin Pharmacol Ther 1984 (not confirmed)",
        pmid="7198883 (as cited by opentiva; not confirmed)",
    ),
    population="subjects unmedicated or premedicated with diazepam (details not confirmed)",
    confirmation=Confirmation.NOT_CONFIRMED,
    caveats=(NOT_CONFIRMED_CAVEAT, "ke0 derived (tpeak 1 min), not published"),
)

# Source: BJA 1981;53:27 (PMID 7459184, doi 10.1093/bja/53.1.27, believed Clements & Nimmo; authors not
# confirmed), fit to the 250 µg/kg data. Values as implemented in opentiva 1.1.2; not confirmed.
CLEMENTS250 = PkModel(
    id="clements250",
    name="Clements 1981 (250 µg/kg)",
    drug=RACEMIC_KETAMINE,
    compartments=2,
    parameters=MicroConstants(v1_l_per_kg=1.7522, k10_per_min=0.0109, k12_per_min=0.0186, k21_per_min=0.0137),
    effect_site=_derived_ke0(5.2),
    citation=Citation(
        "Br J Anaesth 1981;53:27 (believed Clements & Nimmo; authors not confirmed)",
        pmid="7459184",
        doi="10.1093/bja/53.1.27",
    ),
    population="adults given 250 µg/kg intravenously (details not confirmed)",
    confirmation=Confirmation.NOT_CONFIRMED,
    caveats=(NOT_CONFIRMED_CAVEAT, "ke0 derived (tpeak 1 min), not published"),
)

# Source: Hijazi et al., Br J Anaesth 2003 (doi 10.1093/bja/aeg028, PMID 12538370). The abstract confirms
# CL 36.0 (SD 13.3) mL/min/kg, and the derived t1/2 and V-beta agree; V1, k12 and k21 are as implemented in
# opentiva 1.1.2 and not confirmed.
HIJAZI = PkModel(
    id="hijazi",
    name="Hijazi 2003",
    drug=RACEMIC_KETAMINE,
    compartments=2,
    parameters=MicroConstants(v1_l_per_kg=1.08, k10_per_min=0.0333, k12_per_min=0.0088, k21_per_min=0.0030),
    effect_site=_derived_ke0(4.773),
    citation=Citation("Hijazi Y et al. Br J Anaesth 2003", pmid="12538370", doi="10.1093/bja/aeg028"),
    population="12 ICU patients with brain or spinal-cord injury (whether all were adults: not confirmed)",
    confirmation=Confirmation.PARTLY_CONFIRMED,
    caveats=(
        NOT_CONFIRMED_CAVEAT + " (clearance confirmed from the abstract; V1, k12, k21 not)",
        "ke0 derived (tpeak 1 min), not published",
    ),
)

# Source: Herd & Anderson, Paediatr Anaesth 2007;17:622 (PMID 17564643, doi 10.1111/j.1460-9592.2006.02145.x).
# The abstract confirms V1 38.7 L (BSV 64 %), V2 102 L (51.7 %), CL 90 L/h (38.1 %), Q 215 L/h (19 %) per
# 70 kg, allometric; the exponents (1 for volumes, 0.75 for clearances) are not in the abstract.
HERD = PkModel(
    id="herd",
    name="Herd 2007",
    drug=RACEMIC_KETAMINE,
    compartments=2,
    parameters=AllometricClearances(
        reference_weight_kg=70.0,
        v1_l=38.7,
        v2_l=102.0,
        cl_l_per_h=90.0,
        q2_l_per_h=215.0,
        volume_exponent=1.0,
        clearance_exponent=0.75,
    ),
    effect_site=_derived_ke0(2.995),
    citation=Citation(
        "Herd DW, Anderson BJ. Paediatr Anaesth 2007;17:622",
        pmid="17564643",
        doi="10.1111/j.1460-9592.2006.02145.x",
    ),
    population="54 children aged 8.3 ± 3.5 years",
    confirmation=Confirmation.PARTLY_CONFIRMED,
    caveats=(
        "allometric exponents (1 for volumes, 0.75 for clearances) not confirmed against the original paper",
        "fitted in children; use in adults is an extrapolation",
        "ke0 derived (tpeak 1 min), not published",
    ),
    # BSV as reported in the abstract (%); used as the coefficient of variation of a log-normal factor.
    variability=Variability(
        cv_by_parameter=MappingProxyType({"v1": 0.64, "v2": 0.517, "cl": 0.381, "q2": 0.19}),
        source="Herd & Anderson 2007, abstract (confirmed)",
        is_assumption=False,
    ),
)

# Source: Hornik et al., J Clin Pharmacol 2018 (PMID 29677389, doi 10.1002/jcph.1116). The abstract confirms
# the structure (2 compartments, exponents 1 for V and 0.75 for CL and Q, 113 children); the numbers are as
# implemented in opentiva 1.1.2 and not confirmed. Its clearance is about half every other model's.
HORNIK = PkModel(
    id="hornik",
    name="Hornik 2018",
    drug=RACEMIC_KETAMINE,
    compartments=2,
    parameters=AllometricClearances(
        reference_weight_kg=70.0,
        v1_l=32.8,
        v2_l=152.0,
        cl_l_per_h=38.9,
        q2_l_per_h=54.9,
        volume_exponent=1.0,
        clearance_exponent=0.75,
    ),
    effect_site=_derived_ke0(4.212),
    citation=Citation("Hornik CP et al. J Clin Pharmacol 2018", pmid="29677389", doi="10.1002/jcph.1116"),
    population="113 children (intravenous and intramuscular)",
    confirmation=Confirmation.NOT_CONFIRMED,
    caveats=(
        NOT_CONFIRMED_CAVEAT,
        "fitted in children; use in adults is an extrapolation",
        "clearance about half that of every other model: predictions are outliers (S1: 496 ng/mL)",
        "ke0 derived (tpeak 1 min), not published",
    ),
)

# Source: Kamp et al., Anesthesiology 2020;133:1192 (doi 10.1097/ALN.0000000000003577, PMID 32997732).
# opentiva 1.1.2 ("Klamp") implements this mamillary 3-compartment set, all linear in weight; the abstract
# confirms only the meta-analytic means (Vd 252 L, CL 79 L/h per 70 kg) and describes a different raw-data
# model (arterial central compartment, two venous delay compartments). Not confirmed.
KAMP2020 = PkModel(
    id="kamp2020",
    name="Kamp 2020",
    drug=RACEMIC_KETAMINE,
    compartments=3,
    parameters=AllometricClearances(
        reference_weight_kg=70.0,
        v1_l=25.0,
        v2_l=56.0,
        v3_l=157.0,
        cl_l_per_h=84.0,
        q2_l_per_h=161.0,
        q3_l_per_h=79.0,
        volume_exponent=1.0,
        clearance_exponent=1.0,
    ),
    effect_site=_derived_ke0(2.791),
    citation=Citation(
        "Kamp J et al. Anesthesiology 2020;133:1192",
        pmid="32997732",
        doi="10.1097/ALN.0000000000003577",
    ),
    population="pooled published studies (meta-analysis); population details not confirmed",
    confirmation=Confirmation.NOT_CONFIRMED,
    caveats=(
        NOT_CONFIRMED_CAVEAT,
        "the paper's raw-data model has venous delay compartments that this mamillary form lacks",
        "ke0 derived (tpeak 1 min), not published",
    ),
)

# Source: Elkomy et al., Int J Pharm 2015;478:223 (PMID 25448584): CL 60.6, Q 73.2 L/h (W/70)^0.75,
# V1 57.3, V2 152 L (W/70); confirmed from the abstract. No ke0 is published, so no effect site.
ELKOMY2015 = PkModel(
    id="elkomy2015",
    name="Elkomy 2015",
    drug=RACEMIC_KETAMINE,
    compartments=2,
    parameters=AllometricClearances(
        reference_weight_kg=70.0,
        v1_l=57.3,
        v2_l=152.0,
        cl_l_per_h=60.6,
        q2_l_per_h=73.2,
        volume_exponent=1.0,
        clearance_exponent=0.75,
    ),
    effect_site=None,
    citation=Citation("Elkomy MH et al. Int J Pharm 2015;478:223", pmid="25448584"),
    population="children with heart disease",
    confirmation=Confirmation.CONFIRMED,
    caveats=("fitted in children; use in adults is an extrapolation", "no ke0: no effect-site prediction"),
)

MODELS: Mapping[str, PkModel] = MappingProxyType(
    {m.id: m for m in (DOMINO, CLEMENTS250, HIJAZI, HERD, HORNIK, KAMP2020, ELKOMY2015)}
)
