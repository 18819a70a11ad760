"""Seeded, deterministic simulator of a neoadjuvant HER2-positive trial cohort (demo data).

Everything written by this module is **simulated**. It mimics the design of the NCT02326974
translational study (Li et al., J Clin Invest 2024) so that the workflow can run end to end
offline, and it plants the paper's headline findings with known effect sizes so that tests can
check what the analysis recovers. It is not, and must never be presented as, trial data.

The default effect sizes and spreads are at the magnitudes of the trial's real baseline RNA
(``docs/demo.md``: each planted effect beside the real figure it is set from): at 129 patients
some findings are recovered and others only in direction, as in a real study. ``effect_scale``
(:meth:`Effects.scaled`) makes the demo easier or harder on purpose.

Design (``paper`` size): 129 patients in three groups (non-HET/pCR 64, non-HET/no-pCR 51,
HET/no-pCR 14); two baseline biopsies for 113 patients and one for 16 (242 pre-treatment
samples); one residual (post-treatment) sample for 43 patients without pCR; 285 samples.

Random streams are split with :class:`numpy.random.SeedSequence` so that the design (sample and
patient sheets) can be computed on its own, cheaply, at workflow parse time.

Generative model of expression (log2 scale, per gene ``g`` and sample ``s`` of patient ``p``)::

    log2 mu[g, s] = base[g] + subtype_profile[subtype(s), g]
                    + pcr(p) * E_pcr[g]            (pre-treatment samples only)
                    + het(p) * E_het[g] + hr_pos(p) * E_hr[g]
                    + post(s) * E_treat[g] * (het_damping if het(p) else 1)
                    + amp_level(s) * E_amp[g]
                    + loading[g] * (A[prog(g), p] + a[prog(g), s])   (programme activity)
                    + patient[p, g] + biopsy[s, g]
    counts[g, s] ~ NB(mean = size_factor[s] * 2 ** log2 mu[g, s], dispersion[g])

``A`` is a patient-level activity of each co-regulated programme (:data:`PROGRAMME_SD`) and
``a`` its sample-level deviation, so that the genes of a programme vary together between
patients, as in tumours; ``patient`` is a gene-specific patient effect.

The planted effect vectors ``E_*`` are written to the ground-truth table ``effects.tsv``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from her2het import genes as G
from her2het import reads as R

SIMULATED_NOTE = "SIMULATED demo data (her2het.simulate) - not trial data"

PATTERNS: tuple[str, ...] = ("homogeneous", "clustered", "mosaic", "scattered", "her2_negative")


@dataclass(frozen=True)
class Design:
    """Cohort size of one demo scale."""

    n_nonhet_pcr: int
    n_nonhet_nopcr: int
    n_het: int
    n_single_biopsy: int
    n_residual_nonhet: int
    n_residual_het: int
    n_genes: int
    cells_per_area: int
    read_pairs: int
    areas_per_sample: int = 2

    @property
    def n_patients(self) -> int:
        return self.n_nonhet_pcr + self.n_nonhet_nopcr + self.n_het

    @property
    def n_samples(self) -> int:
        pre = 2 * self.n_patients - self.n_single_biopsy
        return pre + self.n_residual_nonhet + self.n_residual_het


SIZES: dict[str, Design] = {
    "tiny": Design(3, 3, 2, 2, 2, 1, n_genes=400, cells_per_area=120, read_pairs=20_000),
    "small": Design(14, 11, 6, 4, 8, 4, n_genes=1500, cells_per_area=250, read_pairs=50_000),
    "paper": Design(64, 51, 14, 16, 33, 10, n_genes=5000, cells_per_area=300, read_pairs=150_000),
    # ten times the paper's cohort (1,290 patients, 2,850 samples): the scaling benchmark
    "paper_x10": Design(
        640, 510, 140, 160, 330, 100, n_genes=5000, cells_per_area=300, read_pairs=150_000
    ),
}


@dataclass(frozen=True)
class Effects:
    """Planted effect sizes (log2 fold changes unless stated) and the spread they sit in.

    Defaults are set from the trial's real baseline RNA where a figure is known (ERBB2 pCR vs
    no pCR AUC 0.73 with a within-group SD of 1.57 log2, ESR1 AUC 0.40 with SD 0.71, a CD8
    T-cell score AUC 0.41, MKI67 AUC 0.45) and chosen small (Cohen's d of about 0.3-0.5)
    where none is known; ``docs/demo.md`` tabulates each one beside its source and the value
    measured on the simulated paper-scale cohort. :meth:`scaled` multiplies every planted
    effect (the config key ``demo.effect_scale``) to make the demo easier or harder.
    """

    pcr_erbb2: float = 1.2  # finding 1: ERBB2 mRNA highest with pCR (real AUC 0.73)
    pcr_amplicon: float = 0.75  # real HER2-amplicon score AUC 0.70
    pcr_erbb_signalling: float = 0.15  # receptors/ligands and downstream (no real figure)
    pcr_immune: float = -0.4  # finding 5 (real CD8 T-cell score AUC 0.41: lower with pCR)
    pcr_proliferation: float = -0.08  # real MKI67 AUC 0.45
    hr_luminal: float = 1.1  # HR-positive vs negative tumours, luminal/ER genes (ESR1 AUC 0.40)
    het_erbb2: float = -0.5  # finding 2: low ERBB2 in HET (no real figure; d about 0.5)
    het_amplicon: float = -0.4
    het_downstream: float = 0.15  # finding 2: ERBB signalling sustained downstream
    het_basal: float = 0.28  # finding 2: basal-like features
    het_immune: float = -0.3  # finding 5
    treat_erbb2: float = -0.05  # finding 3: HER2 decreases after treatment (no real figure)
    treat_amplicon: float = 0.0
    treat_pi3k: float = 0.22  # finding 3: PI3K enrichment
    treat_luminal: float = 0.12  # finding 3: luminal features
    treat_immune: float = -0.15
    het_treatment_damping: float = 0.15  # finding 4: minimal change in HET tumours
    amp_level: float = 0.3  # ERBB2 copy-number level (per SD) -> amplicon expression
    sd_patient: float = 0.5  # median gene-specific patient random effect (log2)
    sd_biopsy: float = 0.25  # gene-specific spread between samples of one patient
    sd_residual: float = 0.3  # extra gene-specific spread of residual (post) tumours
    sd_size_factor: float = 0.4  # log-normal spread of library size factors
    # Event-free survival: exponential hazard per month, hazard ratios for pCR and HET.
    efs_base_hazard: float = 0.004
    efs_hr_pcr: float = 0.35
    efs_hr_het: float = 2.5

    def scaled(self, factor: float) -> Effects:
        """Every planted effect times ``factor`` (hazard ratios on the log scale).

        Spreads, the HET damping of the treatment effect and the design (subtype mix, HET and
        pCR counts) are not scaled; ``factor`` 0 plants no expression effect.
        """
        if factor < 0:
            raise ValueError(f"effect_scale must be >= 0, got {factor}")
        kw = {k: getattr(self, k) * factor for k in PLANTED_FIELDS if not k.startswith("efs_")}
        kw |= {k: getattr(self, k) ** factor for k in PLANTED_FIELDS if k.startswith("efs_hr")}
        return replace(self, **kw)


#: Fields of :class:`Effects` that plant a difference (the rest are spreads and baselines).
PLANTED_FIELDS: tuple[str, ...] = tuple(
    (
        "pcr_erbb2 pcr_amplicon pcr_erbb_signalling pcr_immune pcr_proliferation hr_luminal "
        "het_erbb2 het_amplicon het_downstream het_basal het_immune treat_erbb2 treat_amplicon "
        "treat_pi3k treat_luminal treat_immune amp_level efs_hr_pcr efs_hr_het"
    ).split()
)

NULL_EFFECTS = Effects(**{k: (1.0 if k.startswith("efs_hr") else 0.0) for k in PLANTED_FIELDS})

#: Patient-level SD (log2) of the latent activity of each co-regulated programme: genes of a
#: programme move together between patients (loading 0.6-1.0; 1 for ERBB2), which is why a
#: score of many genes separates groups hardly better than its best gene (real: amplicon
#: score AUC 0.70 vs ERBB2 0.73). The amplicon SD is set so that ERBB2 varies by about
#: 1.57 log2 within a pCR group as in the real table; the others are assumptions.
PROGRAMME_SD: dict[str, float] = {
    "amplicon": 1.45,
    "immune": 0.9,
    "luminal": 0.25,
    "basal": 0.5,
    "proliferation": 0.5,
    "erbb": 0.4,
    "pi3k": 0.4,
}
#: Sample-level SD of the same programme activities between samples of one patient (biopsy
#: site, tumour content); residual tumours add :data:`PROGRAMME_SD_RESIDUAL`.
PROGRAMME_SD_BIOPSY = 0.25
PROGRAMME_SD_RESIDUAL = 0.3
#: Gene-specific patient SD of two named genes whose total spread the real table gives.
_GENE_SD = {"ERBB2": 0.45, "ESR1": 0.2}

# Subtype probabilities by patient group (baseline) and post-treatment transition rules.
# Real: 124 of 129 baseline tumours HER2-enriched by a single-sample PAM50 predictor (96%);
# the non-HER2-enriched few are put in the no-pCR and HET groups (HET: basal-like features).
_SUBTYPE_P: dict[str, tuple[float, ...]] = {  # order: G.SUBTYPES
    "nonHET_pCR": (0.0, 0.01, 0.98, 0.0, 0.01),
    "nonHET_nopCR": (0.01, 0.03, 0.94, 0.01, 0.01),
    "HET_nopCR": (0.0, 0.05, 0.85, 0.07, 0.03),
}
# P(Her2/Basal -> LumA/LumB) after treatment; no real figure, chosen small.
_SHIFT_TO_LUMINAL = {"nonHET": 0.3, "HET": 0.05}


def _streams(seed: int) -> dict[str, np.random.Generator]:
    # append new streams at the end: spawned children are keyed by index, so earlier streams
    # (and every table drawn from them) stay unchanged
    names = ("design", "expression", "fish", "survival", "reads", "fish_cases")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {n: np.random.default_rng(c) for n, c in zip(names, children, strict=True)}


def resolve_design(
    size: str,
    n_genes: int | None = None,
    cells_per_area: int | None = None,
    read_pairs: int | None = None,
) -> Design:
    """Return the :class:`Design` of a named size, with optional overrides."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {sorted(SIZES)}")
    d = SIZES[size]
    if n_genes is not None:
        d = replace(d, n_genes=int(n_genes))
    if cells_per_area is not None:
        d = replace(d, cells_per_area=int(cells_per_area))
    if read_pairs is not None:
        d = replace(d, read_pairs=int(read_pairs))
    if d.n_genes < len(G.named_genes()):
        raise ValueError(f"n_genes must be >= {len(G.named_genes())} (the planted named genes)")
    return d


# --------------------------------------------------------------------------------------------
# Design: patients and samples
# --------------------------------------------------------------------------------------------


def simulate_design(
    design: Design, seed: int, *, null: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the patient and sample sheets (cheap; used at workflow parse time).

    With ``null`` every patient group has the same subtype mix and no subtype shifts after
    treatment (for calibration with :data:`NULL_EFFECTS`); the sheets are the same as without.

    Returns
    -------
    patients, samples
        Sheets in the layout of ``workflow/schemas/patients.schema.yaml`` and
        ``samples.schema.yaml``, plus hidden truth columns prefixed ``true_`` (dropped by
        :func:`her2het.io.demo.write_demo` from the user-facing sheets).
    """
    rng = _streams(seed)["design"]
    n = design.n_patients
    group = np.array(
        ["nonHET_pCR"] * design.n_nonhet_pcr
        + ["nonHET_nopCR"] * design.n_nonhet_nopcr
        + ["HET_nopCR"] * design.n_het
    )
    group = group[rng.permutation(n)]
    patient = np.array([f"P{i + 1:03d}" for i in range(n)])
    het = (group == "HET_nopCR").astype(int)
    pcr = (group == "nonHET_pCR").astype(int)
    # HR-positive share per group (fixed counts, so that every seed has the same imbalance):
    # hormone-receptor-positive tumours reach pCR less often.
    hr = np.full(n, "neg", dtype=object)
    for g, share in (("nonHET_pCR", 0.45), ("nonHET_nopCR", 0.65), ("HET_nopCR", 0.7)):
        idx = np.flatnonzero(group == g)
        hr[rng.choice(idx, int(round(share * len(idx))), replace=False)] = "pos"
    hr = hr.astype(str)

    single = np.zeros(n, dtype=bool)
    single[rng.choice(n, design.n_single_biopsy, replace=False)] = True
    residual = np.zeros(n, dtype=bool)
    for mask, k in (
        (group == "nonHET_nopCR", design.n_residual_nonhet),
        (het == 1, design.n_residual_het),
    ):
        idx = np.flatnonzero(mask)
        residual[rng.choice(idx, k, replace=False)] = True

    probs = dict(_SUBTYPE_P)
    shift = dict(_SHIFT_TO_LUMINAL)
    if null:
        pooled = tuple(np.mean(list(_SUBTYPE_P.values()), axis=0))
        probs = dict.fromkeys(_SUBTYPE_P, pooled)
        shift = dict.fromkeys(_SHIFT_TO_LUMINAL, 0.0)
    subtype_idx = np.array([rng.choice(len(G.SUBTYPES), p=probs[g]) for g in group])
    patients = pd.DataFrame(
        {
            "patient": patient,
            "pCR": pcr,
            "HET": het,
            "HR": hr,
            "arm": "T-DM1+P",
            "true_group": group,
        }
    )

    rows: list[dict[str, Any]] = []
    for i in range(n):
        base_sub = G.SUBTYPES[subtype_idx[i]]
        for b in ("B1",) if single[i] else ("B1", "B2"):
            sub = base_sub
            if b == "B2" and rng.random() < 0.1:  # occasional between-biopsy discordance
                sub = G.SUBTYPES[rng.choice(len(G.SUBTYPES), p=probs[group[i]])]
            rows.append(
                dict(
                    sample=f"{patient[i]}_{b}",
                    patient=patient[i],
                    timepoint="pre",
                    biopsy=b,
                    true_subtype=sub,
                )
            )
        if residual[i]:
            kind = "HET" if het[i] else "nonHET"
            sub = base_sub
            if sub in ("Her2", "Basal") and rng.random() < shift[kind]:
                sub = "LumA" if rng.random() < 0.5 else "LumB"
            rows.append(
                dict(
                    sample=f"{patient[i]}_S",
                    patient=patient[i],
                    timepoint="post",
                    biopsy="S",
                    true_subtype=sub,
                )
            )
    samples = pd.DataFrame(rows)
    samples.insert(4, "count_column", samples["sample"])
    return patients, samples


def simulate_survival(
    patients: pd.DataFrame, seed: int, effects: Effects = Effects()
) -> pd.DataFrame:
    """Add event-free survival (months) with planted hazard ratios for pCR and HET."""
    rng = _streams(seed)["survival"]
    n = len(patients)
    hazard = (
        effects.efs_base_hazard
        * np.power(effects.efs_hr_pcr, patients["pCR"].to_numpy())
        * np.power(effects.efs_hr_het, patients["HET"].to_numpy())
    )
    t_event = rng.exponential(1.0 / hazard)
    t_censor = rng.uniform(36.0, 84.0, n)  # administrative follow-up 3-7 years
    out = patients.copy()
    out["EFS_months"] = np.round(np.minimum(t_event, t_censor), 1)
    out["EFS_event"] = (t_event <= t_censor).astype(int)
    return out


# --------------------------------------------------------------------------------------------
# Expression
# --------------------------------------------------------------------------------------------


def gene_table(design: Design, seed: int) -> pd.DataFrame:
    """Genes with their planted programme; synthetic filler genes are named ``SIMG#####``."""
    named = G.named_genes()
    programme = {}
    for module, gs in G.PAM50_MODULES.items():
        for g in gs:
            programme[g] = f"pam50_{module}"
    for module, gs in G.MARKERS.items():
        for g in gs:
            programme.setdefault(g, module)
    n_filler = design.n_genes - len(named)
    filler = [f"SIMG{i + 1:05d}" for i in range(n_filler)]
    genes = pd.DataFrame({"gene": named + filler})
    genes["programme"] = genes["gene"].map(programme).fillna("filler")
    genes.insert(0, "gene_id", [f"ENSGSIM{i + 1:08d}" for i in range(len(genes))])
    return genes


def planted_effects(
    genes: pd.DataFrame, effects: Effects, rng: np.random.Generator
) -> pd.DataFrame:
    """Per-gene planted log2 effects of each component (0 where none is planted)."""
    prog = genes["programme"].to_numpy()
    sym = genes["gene"].to_numpy()
    n = len(genes)

    def where(*programmes: str) -> np.ndarray:
        return np.isin(prog, programmes)

    # Gene-specific loadings in [0.6, 1.4] make effects vary within a programme.
    load = rng.uniform(0.6, 1.4, n)
    amplicon = where("her2_amplicon") | np.isin(sym, ["GRB7"])
    erbb2 = sym == "ERBB2"
    receptors = where("erbb_receptors_ligands")
    downstream = where("erbb_downstream")
    immune = where(*G.IMMUNE_PROGRAMMES)
    basal = where("basal_extra")
    pi3k = where("pi3k_akt_mtor")
    luminal = where("luminal_estrogen")
    proliferation = where("pam50_proliferation")
    er_genes = luminal | np.isin(sym, ["ESR1", "PGR"])  # ER and its targets

    e = pd.DataFrame(0.0, index=genes["gene"], columns=["pcr", "het", "treatment", "amp_level"])
    e["pcr"] = (
        load
        * (
            effects.pcr_amplicon * amplicon
            + effects.pcr_erbb_signalling * (receptors | downstream)
            + effects.pcr_immune * immune
            + effects.pcr_proliferation * proliferation
        )
        + effects.pcr_erbb2 * erbb2
    )
    e["het"] = (
        load
        * (
            effects.het_amplicon * amplicon
            + effects.het_downstream * downstream
            + effects.het_basal * basal
            + effects.het_immune * immune
        )
        + effects.het_erbb2 * erbb2
    )
    e["treatment"] = (
        load
        * (
            effects.treat_amplicon * amplicon
            + effects.treat_pi3k * pi3k
            + effects.treat_luminal * luminal
            + effects.treat_immune * immune
        )
        + effects.treat_erbb2 * erbb2
    )
    e["amp_level"] = effects.amp_level * (amplicon | erbb2)
    e["treatment_in_het"] = e["treatment"] * effects.het_treatment_damping
    e["hr"] = np.where(sym == "ESR1", 1.0, load) * effects.hr_luminal * er_genes
    return e.round(4)


def programme_factors(genes: pd.DataFrame) -> pd.Series:
    """The co-regulated programme (a key of :data:`PROGRAMME_SD`) of each gene, or ``""``."""
    prog = genes["programme"].to_numpy()
    sym = genes["gene"].to_numpy()
    out = np.full(len(genes), "", dtype=object)
    for factor, programmes in (
        ("immune", G.IMMUNE_PROGRAMMES),
        ("luminal", ("luminal_estrogen", "pam50_luminal")),
        ("basal", ("basal_extra", "pam50_basal")),
        ("proliferation", ("pam50_proliferation",)),
        ("erbb", ("erbb_receptors_ligands", "erbb_downstream")),
        ("pi3k", ("pi3k_akt_mtor",)),
        ("amplicon", ("her2_amplicon",)),
    ):
        out[np.isin(prog, programmes)] = factor
    out[np.isin(sym, ["ERBB2", "GRB7"])] = "amplicon"
    return pd.Series(out, index=genes["gene"], name="factor")


def subtype_profiles(genes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """log2 offsets per subtype (columns) for every gene (zero outside PAM50)."""
    prof = pd.DataFrame(0.0, index=genes["gene"], columns=list(G.SUBTYPES))
    jitter = pd.Series(rng.uniform(0.7, 1.3, len(G.PAM50)), index=list(G.PAM50))
    for g in G.PAM50:
        module = G.pam50_module_of(g)
        for st in G.SUBTYPES:
            prof.loc[g, st] = G.SUBTYPE_MODULE_PROFILE[st][module] * jitter[g]
    return prof.round(4)


def simulate_counts(
    design: Design,
    seed: int,
    patients: pd.DataFrame,
    samples: pd.DataFrame,
    amp_level: np.ndarray,
    effects: Effects = Effects(),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Negative-binomial counts (genes x samples) and the ground-truth tables.

    Returns
    -------
    counts
        Integer counts, index ``gene``, one column per sample.
    truth_effects
        Planted per-gene effects (``effects.tsv``) including subtype offsets and dispersion.
    size_factors
        Planted size factor per sample.
    """
    rng = _streams(seed)["expression"]
    genes = gene_table(design, seed)
    n_g, n_s = len(genes), len(samples)
    prog = genes["programme"].to_numpy()

    # Baseline mean expression (log2 of normalised counts) and gene-wise dispersion.
    base = np.where(prog == "filler", rng.normal(6.5, 2.2, n_g), rng.normal(8.5, 1.3, n_g))
    base = np.where(prog == "housekeeping", rng.normal(12.0, 0.8, n_g), base)
    mu_base = np.power(2.0, base)
    dispersion = (0.06 + 1.5 / mu_base) * np.exp(rng.normal(0.0, 0.45, n_g))

    eff = planted_effects(genes, effects, rng)
    prof = subtype_profiles(genes, rng)

    pat = patients.set_index("patient").loc[samples["patient"]]
    is_post = (samples["timepoint"] == "post").to_numpy()
    het = pat["HET"].to_numpy().astype(bool)
    pcr = pat["pCR"].to_numpy().astype(bool)
    hr_pos = (pat["HR"] == "pos").to_numpy()
    pidx = pd.factorize(samples["patient"])[0]
    n_p = pidx.max() + 1

    log2mu = np.repeat(base[:, None], n_s, axis=1)
    log2mu += prof[samples["true_subtype"].to_numpy()].to_numpy()
    log2mu += np.outer(eff["pcr"].to_numpy(), pcr & ~is_post)
    log2mu += np.outer(eff["het"].to_numpy(), het)
    log2mu += np.outer(eff["hr"].to_numpy(), hr_pos)
    treat = np.where(het, effects.het_treatment_damping, 1.0) * is_post
    log2mu += np.outer(eff["treatment"].to_numpy(), treat)
    log2mu += np.outer(eff["amp_level"].to_numpy(), amp_level)
    # Between-patient and between-sample spread: a latent activity per programme shared by
    # its genes (patient level, plus sample level) and a gene-specific part.
    factor = programme_factors(genes).to_numpy()
    loading = np.where(genes["gene"].to_numpy() == "ERBB2", 1.0, rng.uniform(0.6, 1.0, n_g))
    for name, sd in PROGRAMME_SD.items():
        rows = np.flatnonzero(factor == name)
        if not len(rows):
            continue
        level = rng.normal(0.0, sd, n_p)[pidx]
        level = level + rng.normal(0.0, PROGRAMME_SD_BIOPSY, n_s)
        level = level + is_post * rng.normal(0.0, PROGRAMME_SD_RESIDUAL, n_s)
        log2mu[rows] += np.outer(loading[rows], level)
    sd_gene = effects.sd_patient * np.exp(rng.normal(0.0, 0.35, n_g))
    sd_gene = pd.Series(sd_gene, index=genes["gene"])
    for g, sd in _GENE_SD.items():
        if g in sd_gene.index:
            sd_gene[g] = sd
    sd_gene = sd_gene.to_numpy()
    log2mu += (sd_gene[:, None] * rng.normal(0.0, 1.0, (n_g, n_p)))[:, pidx]
    log2mu += rng.normal(0.0, effects.sd_biopsy, (n_g, n_s))
    log2mu += is_post * rng.normal(0.0, effects.sd_residual, (n_g, n_s))

    size_factor = np.exp(rng.normal(0.0, effects.sd_size_factor, n_s))
    mu = np.power(2.0, log2mu) * size_factor[None, :]
    r = 1.0 / dispersion[:, None]
    counts = rng.negative_binomial(r, r / (r + mu))

    counts_df = pd.DataFrame(
        counts.astype(np.int64), index=genes["gene"], columns=samples["sample"]
    )
    counts_df.index.name = "gene"
    truth = eff.copy()
    truth.insert(0, "programme", prog)
    truth.insert(0, "gene_id", genes["gene_id"].to_numpy())
    truth["base_log2_mean"] = np.round(base, 4)
    truth["dispersion"] = np.round(dispersion, 5)
    truth["programme_factor"] = factor
    truth["programme_loading"] = np.where(factor == "", 0.0, np.round(loading, 4))
    truth["sd_patient_gene"] = np.round(sd_gene, 4)
    for st in G.SUBTYPES:
        truth[f"subtype_{st}"] = prof[st]
    truth = truth.reset_index()
    sf = pd.DataFrame({"sample": samples["sample"], "size_factor": np.round(size_factor, 5)})
    return counts_df, truth, sf


#: The planted contrasts :func:`measure_planted` measures: (id, comparison, feature, the real
#: figure it is set from or ``None``). Scores are gene-set names of the core GMT.
MEASURED: tuple[tuple[str, str, str, float | None], ...] = (
    ("ERBB2 vs pCR", "pcr", "ERBB2", 0.73),
    ("HER2 amplicon score vs pCR", "pcr", "HER2_AMPLICON_17Q12", 0.70),
    ("ESR1 vs pCR", "pcr", "ESR1", 0.40),
    ("CD8 T-cell score vs pCR", "pcr", "IMMUNE_CD8_T_CELLS", 0.41),
    ("T-cell score vs pCR", "pcr", "IMMUNE_T_CELLS", None),
    ("cytotoxic score vs pCR", "pcr", "IMMUNE_CYTOTOXIC", None),
    ("MKI67 vs pCR", "pcr", "MKI67", 0.45),
    ("ERBB signalling score vs pCR", "pcr", "ERBB_SIGNALLING", None),
    ("ERBB2 HET vs non-HET (no pCR)", "het", "ERBB2", None),
    ("ERBB downstream score HET vs non-HET (no pCR)", "het", "ERBB_DOWNSTREAM", None),
    ("basal-like score HET vs non-HET (no pCR)", "het", "BASAL_LIKE", None),
    ("T-cell score HET vs non-HET (no pCR)", "het", "IMMUNE_T_CELLS", None),
    ("ERBB2 residual vs baseline (non-HET)", "post", "ERBB2", None),
    ("PI3K score residual vs baseline (non-HET)", "post", "PI3K_AKT_MTOR_CORE", None),
    ("luminal score residual vs baseline (non-HET)", "post", "ESTROGEN_RESPONSE_LUMINAL", None),
)


def measure_planted(cohort: DemoCohort, gene_sets: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Effect sizes of the planted contrasts as seen in the simulated counts (:data:`MEASURED`).

    Expression is log2(normalised count + 1), with median-of-ratios size factors as in DESeq2
    (log CPM would let the few strongly moved genes shift every other gene when the effects
    are scaled up); a gene set's score is the mean z-score of its genes; baseline values are averaged over a patient's biopsies. ``pcr``: pCR vs no pCR
    (all patients); ``het``: HET vs non-HET among patients without pCR; both give the AUC
    (probability that a patient of the first group is higher: the Mann-Whitney U / n1 n2),
    Cohen's d (pooled SD), the SD within the first group and the Mann-Whitney p-value.
    ``post``: residual vs baseline of non-HET patients with both (paired): the mean
    difference, its standardised mean (d_z) and the Wilcoxon signed-rank p-value.
    """
    from scipy import stats

    counts = cohort.counts
    # median-of-ratios size factors (as DESeq2): robust to the few genes the effects move
    expressed = counts[(counts > 0).all(axis=1)]
    log_geo = np.log(expressed).mean(axis=1)
    sf = np.exp(np.log(expressed).sub(log_geo, axis=0).median(axis=0))
    logn = np.log2(counts / sf + 1.0)
    z = logn.sub(logn.mean(axis=1), axis=0).div(logn.std(axis=1) + 1e-12, axis=0)
    feats: dict[str, pd.Series] = {}
    for _, _, f, _ in MEASURED:
        if f in logn.index:
            feats[f] = logn.loc[f]
        elif f in gene_sets:
            feats[f] = z.loc[[g for g in gene_sets[f] if g in z.index]].mean(axis=0)
    info = cohort.samples.merge(cohort.patients, on="patient").set_index("sample")
    table = pd.DataFrame(feats).join(info[["patient", "timepoint", "pCR", "HET"]])
    pre = table[table["timepoint"] == "pre"].groupby("patient").mean(numeric_only=True)
    post = table[(table["timepoint"] == "post") & (table["HET"] == 0)].set_index("patient")
    rows = []
    for name, kind, f, real in MEASURED:
        row: dict[str, object] = {"check": name, "feature": f, "real_auc": real}
        if f not in feats:
            rows.append(row)
            continue
        if kind == "post":
            d = post[f] - pre.loc[post.index, f]
            row |= {"n": len(d), "mean_difference": d.mean(), "d": d.mean() / d.std(ddof=1)}
            row["pvalue"] = float(stats.wilcoxon(d).pvalue)
        else:
            if kind == "pcr":
                a, b = pre.loc[pre["pCR"] == 1, f], pre.loc[pre["pCR"] == 0, f]
            else:
                nopcr = pre[pre["pCR"] == 0]
                a, b = nopcr.loc[nopcr["HET"] == 1, f], nopcr.loc[nopcr["HET"] == 0, f]
            u = stats.mannwhitneyu(a, b)
            pooled = np.sqrt(
                ((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2)
            )
            row |= {"n": len(a) + len(b), "mean_difference": a.mean() - b.mean()}
            row |= {"d": (a.mean() - b.mean()) / pooled, "auc": u.statistic / len(a) / len(b)}
            row |= {"sd_within": a.std(ddof=1), "pvalue": float(u.pvalue)}
        rows.append(row)
    cols = ["check", "feature", "n", "real_auc", "auc", "d", "mean_difference", "sd_within"]
    return pd.DataFrame(rows).reindex(columns=[*cols, "pvalue"])


# --------------------------------------------------------------------------------------------
# FISH: per-cell ERBB2 / CEP17 signals with coordinates
# --------------------------------------------------------------------------------------------

_FRACTION_RANGE = {  # planted fraction of amplified tumour cells per pattern
    "homogeneous": (0.92, 1.0),
    "clustered": (0.2, 0.45),
    "mosaic": (0.2, 0.45),
    "scattered": (0.07, 0.15),
    "her2_negative": (0.0, 0.02),
}
_FIELD_UM = 400.0  # side of the square field of view of one area, in micrometres
_LABEL_NOISE = 0.01  # share of cells whose amplification status is flipped (counting noise)


def _area_patterns(
    rng: np.random.Generator, het: bool, timepoint: str, is_het_biopsy: bool, n_areas: int
) -> list[str]:
    if timepoint == "post":
        p = (0.45, 0.15, 0.15, 0.1, 0.15) if not het else (0.2, 0.2, 0.2, 0.2, 0.2)
        return [PATTERNS[rng.choice(len(PATTERNS), p=p)] for _ in range(n_areas)]
    if not is_het_biopsy:
        return ["homogeneous"] * n_areas
    het_area = PATTERNS[1 + rng.integers(4)]
    other = "homogeneous" if rng.random() < 0.5 else PATTERNS[1 + rng.integers(4)]
    pats = [het_area, other][:n_areas]
    return [pats[i] for i in rng.permutation(len(pats))]


def _cells_for_area(
    rng: np.random.Generator, pattern: str, n: int, amp_mean: float
) -> dict[str, np.ndarray]:
    x = rng.uniform(0.0, _FIELD_UM, n)
    y = rng.uniform(0.0, _FIELD_UM, n)
    lo, hi = _FRACTION_RANGE[pattern]
    k = int(round(rng.uniform(lo, hi) * n))
    amp = np.zeros(n, dtype=bool)
    if pattern == "clustered":  # a contiguous block: the k cells nearest a random centre
        cx, cy = rng.uniform(0.2, 0.8, 2) * _FIELD_UM
        amp[np.argsort((x - cx) ** 2 + (y - cy) ** 2, kind="stable")[:k]] = True
    else:  # spatially random labels (mosaic, scattered, homogeneous, her2_negative)
        amp[rng.choice(n, k, replace=False)] = True
    # Counting noise: about 1% of cells get the other status, whatever the pattern.
    amp ^= rng.random(n) < _LABEL_NOISE
    cep17 = 1 + rng.binomial(3, 1 / 3, n)  # 1-4 copies, mean 2
    # Non-amplified cells: ERBB2 tracks CEP17 with small counting noise, kept below ratio 2.
    erbb2_non = np.clip(cep17 + rng.choice([-1, 0, 0, 0, 0, 1], n), 1, np.minimum(2 * cep17 - 1, 5))
    # Amplified cells: ratio >= 2 and >= 6 copies, mean around the sample's amplification level.
    erbb2_amp = np.maximum(np.maximum(2 * cep17, 6), rng.poisson(amp_mean, n))
    erbb2 = np.where(amp, erbb2_amp, erbb2_non)
    return {"x": np.round(x, 1), "y": np.round(y, 1), "erbb2": erbb2, "cep17": cep17, "amp": amp}


#: HER2 spectrum cases planted in HER2-negative areas -> the category the scoring should call
PLANTED_IHC: dict[str, str] = {
    "null": "IHC 0 (null)",
    "ultralow": "IHC 0 (ultralow)",
    "1+": "IHC 1+ (HER2-low)",
    "2+": "IHC 2+ ISH-negative (HER2-low)",
    "limited intense": "IHC 2+ ISH-negative (HER2-low)",
}
_TRUNCATED_SHARE = 0.15  # share of non-amplified nuclei truncated to 2 ERBB2 / 1 CEP17


def _plant_negative_area(
    rng: np.random.Generator, df: pd.DataFrame, amp: np.ndarray, with_ihc: bool
) -> dict[str, Any]:
    """Plant the cases of issue 16 in a HER2-negative area (``df`` is changed in place).

    Half of the areas get truncation artefacts: 15% of non-amplified nuclei become 2 ERBB2 /
    1 CEP17 (a CEP17 signal lost to sectioning; ratio exactly 2.0, not amplified). With IHC,
    each area gets one HER2 spectrum case of :data:`PLANTED_IHC`: no staining (null), 5% of
    cells faint incomplete (ultralow), 40% 1+, 40% 2+, or 5% intense complete (limited intense
    staining, scored 2+).
    """
    n = len(df)
    truncated = 0
    if rng.random() < 0.5:
        non = np.flatnonzero(~amp)
        pick = rng.choice(non, int(round(_TRUNCATED_SHARE * len(non))), replace=False)
        df.loc[pick, "erbb2"] = 2
        df.loc[pick, "cep17"] = 1
        truncated = len(pick)
    case = ""
    if with_ihc:
        case = list(PLANTED_IHC)[rng.integers(len(PLANTED_IHC))]
        k5, k40 = max(1, int(round(0.05 * n))), int(round(0.4 * n))
        score, k = {"null": (0, 0), "ultralow": (1, k5), "1+": (1, k40), "2+": (2, k40)}.get(
            case, (3, k5)
        )
        ihc = np.zeros(n, dtype=np.int32)
        ihc[rng.choice(n, k, replace=False)] = score
        df["ihc"] = ihc
    return {"truncated_cells": truncated, "planted_ihc": case}


def simulate_fish(
    design: Design, seed: int, patients: pd.DataFrame, samples: pd.DataFrame, with_ihc: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per-cell FISH table, per-area truth, and per-sample amplification level (z-score).

    HET patients have at least one baseline biopsy with a heterogeneous area (trial definition:
    >5% and <50% amplified cells, or a HER2-negative area); non-HET patients have none at
    baseline. Residual tumours are more often heterogeneous and less amplified (finding 3).
    A biopsy with a homogeneous and a HER2-negative area is a two-area clustered tumour.
    HER2-negative areas also carry the cases of issue 16 (:func:`_plant_negative_area`:
    truncation artefacts, HER2 spectrum including limited intense staining), drawn from a
    separate random stream; the truth table records them (``truncated_cells``,
    ``planted_ihc``).
    """
    streams = _streams(seed)
    rng, cases = streams["fish"], streams["fish_cases"]
    het_by_patient = patients.set_index("patient")["HET"].astype(bool)
    # Which baseline biopsy of a HET patient is heterogeneous (at least one).
    het_biopsy: dict[str, bool] = {}
    for pt, grp in samples[samples["timepoint"] == "pre"].groupby("patient", sort=False):
        ids = grp["sample"].tolist()
        flags = [False] * len(ids)
        if het_by_patient[pt]:
            flags[rng.integers(len(ids))] = True
            if len(ids) > 1 and rng.random() < 0.4:
                flags = [True] * len(ids)
        het_biopsy.update(zip(ids, flags, strict=True))

    amp_z = rng.normal(0.0, 1.0, len(samples))
    post = (samples["timepoint"] == "post").to_numpy()
    amp_z = np.where(post, amp_z - 0.7, amp_z)  # lower copy number in residual tumours
    frames: list[pd.DataFrame] = []
    truth_rows: list[dict[str, Any]] = []
    for j, row in enumerate(samples.itertuples(index=False)):
        pats = _area_patterns(
            rng,
            bool(het_by_patient[row.patient]),
            row.timepoint,
            het_biopsy.get(row.sample, False),
            design.areas_per_sample,
        )
        amp_mean = float(np.clip(12.0 + 3.0 * amp_z[j], 6.0, 30.0))
        for a, pattern in enumerate(pats, start=1):
            c = _cells_for_area(rng, pattern, design.cells_per_area, amp_mean)
            n = design.cells_per_area
            df = pd.DataFrame(
                {
                    "sample": row.sample,
                    "area": f"A{a}",
                    "cell": np.arange(1, n + 1),
                    "x": c["x"],
                    "y": c["y"],
                    "erbb2": c["erbb2"].astype(np.int32),
                    "cep17": c["cep17"].astype(np.int32),
                }
            )
            ith = "none"
            if with_ihc:
                # Genetic ITH: IHC follows amplification. Non-genetic ITH (planted in some
                # amplified areas): a share of amplified cells lacks protein overexpression.
                ihc = np.where(
                    c["amp"],
                    rng.choice([2, 3], n, p=[0.15, 0.85]),
                    rng.choice([0, 1], n, p=[0.6, 0.4]),
                )
                minority = min(c["amp"].mean(), 1.0 - c["amp"].mean())
                if minority >= 0.1:  # two populations of >= 10% of cells each
                    ith = "genetic"
                elif pattern == "homogeneous" and rng.random() < 0.15:
                    ith = "non_genetic"
                    lose = c["amp"] & (rng.random(n) < 0.35)
                    ihc = np.where(lose, rng.choice([0, 1], n), ihc)
                df["ihc"] = ihc.astype(np.int32)
            planted = {"truncated_cells": 0, "planted_ihc": ""}
            if pattern == "her2_negative":
                planted = _plant_negative_area(cases, df, c["amp"], with_ihc)
            frames.append(df)
            frac_amp = float(c["amp"].mean())
            truth_rows.append(
                dict(
                    sample=row.sample,
                    area=f"A{a}",
                    pattern=pattern,
                    fraction_amplified=round(frac_amp, 4),
                    trial_het_area=int(pattern == "her2_negative" or 0.05 < frac_amp < 0.5),
                    ith_type=ith,
                    **planted,
                )
            )
    cells = pd.concat(frames, ignore_index=True)
    return cells, pd.DataFrame(truth_rows), amp_z


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCohort:
    """All simulated tables of one demo cohort (user-facing sheets and ground truth).

    With reads, ``counts`` are the gene-level read counts the FASTQ files are drawn from
    (the full-depth counts thinned to the read depth), ``transcriptome`` the synthetic
    transcripts and ``tx_counts`` the transcript x sample fragment counts.
    """

    patients: pd.DataFrame
    samples: pd.DataFrame
    counts: pd.DataFrame
    fish_cells: pd.DataFrame
    truth_samples: pd.DataFrame
    truth_patients: pd.DataFrame
    truth_effects: pd.DataFrame
    truth_fish_areas: pd.DataFrame
    params: dict[str, Any]
    transcriptome: R.Transcriptome | None = None
    tx_counts: pd.DataFrame | None = None


#: Where the demo's FASTQ files go under the output directory; one directory per sample (a
#: rule output).
FASTQ_SUBDIR = "demo/fastq"
#: The same under the default output directory ``results``.
FASTQ_DIR = f"results/{FASTQ_SUBDIR}"


def demo_lanes(index: int) -> int:
    """Lanes of the ``index``-th demo sample: every third sample is split over two lanes."""
    return 2 if index % 3 == 2 else 1


def fastq_paths(
    sample: str, lanes: int, paired: bool, fastq_dir: str = FASTQ_DIR
) -> tuple[list[str], list[str]]:
    """Read-1 and read-2 FASTQ paths of one demo sample (read-2 empty for single end)."""
    r1 = [f"{fastq_dir}/{sample}/L{k:03d}_R1.fastq.gz" for k in range(1, lanes + 1)]
    r2 = [f"{fastq_dir}/{sample}/L{k:03d}_R2.fastq.gz" for k in range(1, lanes + 1)]
    return r1, (r2 if paired else [])


def demo_sheets(
    size: str,
    seed: int,
    *,
    reads: bool = False,
    paired: bool = True,
    fastq_dir: str = FASTQ_DIR,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """User-facing patient and sample sheets of a demo cohort (no truth columns).

    With ``reads`` the sample sheet lists the demo FASTQ files under ``fastq_dir``
    (``fq1``/``fq2``, lanes separated by ``;``) as a user's sheet would.
    """
    patients, samples = simulate_design(resolve_design(size), seed)
    return _public_patients(simulate_survival(patients, seed)), _public_samples(
        samples, reads=reads, paired=paired, fastq_dir=fastq_dir
    )


def _public_patients(p: pd.DataFrame) -> pd.DataFrame:
    return p[["patient", "pCR", "HET", "HR", "EFS_months", "EFS_event", "arm"]]


def _public_samples(
    s: pd.DataFrame, *, reads: bool = False, paired: bool = True, fastq_dir: str = FASTQ_DIR
) -> pd.DataFrame:
    out = s[["sample", "patient", "timepoint", "biopsy", "count_column"]].copy()
    if reads:
        paths = [
            fastq_paths(name, demo_lanes(i), paired, fastq_dir)
            for i, name in enumerate(out["sample"])
        ]
        out["fq1"] = [";".join(r1) for r1, _ in paths]
        if paired:
            out["fq2"] = [";".join(r2) for _, r2 in paths]
    return out


def thin_counts(counts: pd.DataFrame, read_pairs: int, rng: np.random.Generator) -> pd.DataFrame:
    """Binomial thinning to a mean library size of ``read_pairs`` (keeps size-factor spread).

    Thinning a negative binomial count keeps it negative binomial with the same dispersion and a
    proportionally lower mean, so the planted model holds at the read depth.
    """
    p = min(1.0, read_pairs / float(counts.sum(axis=0).mean()))
    thinned = rng.binomial(counts.to_numpy(), p)
    return pd.DataFrame(thinned.astype(np.int64), index=counts.index, columns=counts.columns)


def simulate_cohort(
    size: str = "paper",
    seed: int = 2024,
    *,
    n_genes: int | None = None,
    cells_per_area: int | None = None,
    with_ihc: bool = True,
    effects: Effects | Mapping[str, float] | None = None,
    reads: bool = False,
    read_pairs: int | None = None,
    paired: bool = True,
    null_design: bool = False,
    effect_scale: float = 1.0,
    fastq_dir: str = FASTQ_DIR,
) -> DemoCohort:
    """Simulate a whole demo cohort.

    Parameters
    ----------
    size
        ``tiny`` (unit tests), ``small`` (CI end-to-end) or ``paper`` (the study's scale).
    seed
        Seed of every random stream; the same seed gives identical tables.
    n_genes, cells_per_area
        Overrides of the size's defaults.
    with_ihc
        Add a per-cell IHC score (0-3) to the FISH table.
    effects
        Planted effects; :data:`NULL_EFFECTS` simulates a cohort with no planted effect.
    reads, read_pairs, paired
        Also simulate a transcriptome and the fragment counts of FASTQ files, at a mean depth
        of ``read_pairs`` (the size's default when ``None``); ``paired`` only changes the
        sample sheet (``fq2`` column), ``fastq_dir`` is where the sheet says the FASTQ files are.
    null_design
        Same subtype mix in every patient group and no subtype shift after treatment; with
        ``effects=NULL_EFFECTS`` nothing distinguishes the groups (calibration).
    effect_scale
        Multiplies every planted effect (:meth:`Effects.scaled`): 1 = the realistic defaults
        (``docs/demo.md``), > 1 an easier demo, < 1 a harder one.
    """
    if effects is None:
        eff = Effects()
    elif isinstance(effects, Effects):
        eff = effects
    else:
        eff = replace(Effects(), **dict(effects))
    if effect_scale != 1.0:
        eff = eff.scaled(float(effect_scale))
    design = resolve_design(size, n_genes, cells_per_area, read_pairs)
    patients, samples = simulate_design(design, seed, null=null_design)
    patients = simulate_survival(patients, seed, eff)
    fish, fish_truth, amp_z = simulate_fish(design, seed, patients, samples, with_ihc)
    counts, truth_effects, sf = simulate_counts(design, seed, patients, samples, amp_z, eff)
    transcriptome = tx_counts = None
    if reads:
        rng = _streams(seed)["reads"]
        counts = thin_counts(counts, design.read_pairs, rng)
        genes = gene_table(design, seed)
        transcriptome = R.build_transcriptome(genes, rng)
        tx_counts = R.split_to_transcripts(counts, transcriptome.table, rng)

    truth_samples = samples[["sample", "patient", "timepoint", "true_subtype"]].copy()
    truth_samples["amp_level_z"] = np.round(amp_z, 4)
    truth_samples = truth_samples.merge(sf, on="sample")
    area_het = (
        fish_truth.groupby("sample", sort=False)["trial_het_area"].max().rename("trial_het_sample")
    )
    truth_samples = truth_samples.merge(area_het, left_on="sample", right_index=True)
    truth_patients = patients[["patient", "true_group", "pCR", "HET"]].copy()
    params = {
        "size": size,
        "seed": seed,
        "reads": reads,
        "design": asdict(design),
        "effects": asdict(eff),
        "effect_scale": float(effect_scale),
        "programme_sd": dict(PROGRAMME_SD),
        "note": SIMULATED_NOTE,
    }
    return DemoCohort(
        patients=_public_patients(patients),
        samples=_public_samples(samples, reads=reads, paired=paired, fastq_dir=fastq_dir),
        counts=counts,
        fish_cells=fish,
        truth_samples=truth_samples,
        truth_patients=truth_patients,
        truth_effects=truth_effects,
        truth_fish_areas=fish_truth,
        params=params,
        transcriptome=transcriptome,
        tx_counts=tx_counts,
    )


def simulate_fish_only(
    n_samples: int, cells_per_area: int, areas_per_sample: int = 2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A large FISH-only cohort for benchmarks: one baseline sample per patient.

    Returns the per-cell table (with IHC), a sample sheet and a patient sheet. Area patterns
    are drawn uniformly from :data:`PATTERNS`.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_samples):
        for a in range(areas_per_sample):
            pattern = PATTERNS[rng.integers(len(PATTERNS))]
            c = _cells_for_area(rng, pattern, cells_per_area, float(rng.uniform(8, 16)))
            frames.append(
                pd.DataFrame(
                    {
                        "sample": f"S{i + 1:05d}",
                        "area": f"A{a + 1}",
                        "cell": np.arange(1, cells_per_area + 1),
                        "x": c["x"],
                        "y": c["y"],
                        "erbb2": c["erbb2"].astype(np.int32),
                        "cep17": c["cep17"].astype(np.int32),
                        "ihc": np.where(c["amp"], 3, 0).astype(np.int32),
                    }
                )
            )
    cells = pd.concat(frames, ignore_index=True)
    samples = pd.DataFrame(
        {
            "sample": [f"S{i + 1:05d}" for i in range(n_samples)],
            "patient": [f"P{i + 1:05d}" for i in range(n_samples)],
            "timepoint": "pre",
            "biopsy": "B1",
        }
    )
    patients = pd.DataFrame({"patient": samples["patient"], "pCR": 0, "HR": "pos"})
    return cells, samples, patients


def simulate_subtype_expression(
    centroids: pd.DataFrame,
    mix: Mapping[str, float],
    n: int,
    seed: int,
    *,
    scale: float = 1.1,
    noise_sd: float = 0.85,
    blend: float = 0.4,
    base_sd: float = 2.0,
) -> tuple[pd.DataFrame, pd.Series]:
    """SIMULATED log2 expression of the centroid genes for a cohort with a given subtype mix.

    Tumour ``s`` of subtype ``k`` (drawn from ``mix``) is
    ``base[g] + scale * ((1 - u) * c[g, k] + u * c[g, j]) + e[s, g]`` with another subtype
    ``j`` drawn from ``mix``, ``u ~ U(0, blend)`` (tumours lie between subtypes, not on the
    centroids), ``e ~ N(0, noise_sd)`` and ``base ~ N(7, base_sd)``: ``base`` is the
    population centre the centroids are relative to. The defaults (``scale`` 1.1,
    ``noise_sd`` 0.85) are the scale and residual SD measured on the UNC bioclassifier's 200
    example tumours against their own calls. Used to measure centring on cohorts whose mix is
    known (docs/methods.md, "Subtypes").

    Returns
    -------
    expression, truth
        Samples (``T001``...) x genes, and the planted subtype per sample.
    """
    rng = np.random.default_rng(seed)
    names = list(centroids.columns)
    p = np.array([float(mix.get(k, 0.0)) for k in names])
    p = p / p.sum()
    c = centroids.to_numpy(dtype=np.float64)
    k = rng.choice(len(names), n, p=p)
    j = rng.choice(len(names), n, p=p)
    u = rng.uniform(0.0, blend, n)[:, None]
    base = rng.normal(7.0, base_sd, c.shape[0])
    x = base + scale * ((1 - u) * c[:, k].T + u * c[:, j].T)
    x = x + rng.normal(0.0, noise_sd, x.shape)
    ids = pd.Index([f"T{i + 1:03d}" for i in range(n)], name="sample")
    expr = pd.DataFrame(x, index=ids, columns=centroids.index)
    return expr, pd.Series([names[i] for i in k], index=ids, name="true_subtype")
