"""Gene catalogue used by the simulator and, later, by the scoring and subtyping stages.

Symbols are current HGNC symbols. The PAM50 list uses the updated names for the three genes that
genefu's model file still calls CDCA1, KNTC2 and ORC6L (now NUF2, NDC80 and ORC6).

The module groups below are the *project's own* definitions. They drive the demo simulator and the
built-in "PAM50-like" profile; they are not the published Parker et al. (2009) centroids.
"""

from __future__ import annotations

PAM50: tuple[str, ...] = (
    "ACTR3B", "ANLN", "BAG1", "BCL2", "BIRC5", "BLVRA", "CCNB1", "CCNE1", "CDC20", "CDC6",
    "CDH3", "CENPF", "CEP55", "CXXC5", "EGFR", "ERBB2", "ESR1", "EXO1", "FGFR4", "FOXA1",
    "FOXC1", "GPR160", "GRB7", "KIF2C", "KRT14", "KRT17", "KRT5", "MAPT", "MDM2", "MELK",
    "MIA", "MKI67", "MLPH", "MMP11", "MYBL2", "MYC", "NAT1", "NDC80", "NUF2", "ORC6",
    "PGR", "PHGDH", "PTTG1", "RRM2", "SFRP1", "SLC39A6", "TMEM45B", "TYMS", "UBE2C", "UBE2T",
)  # fmt: skip

#: Outdated symbols in genefu's pam50_model.csv and their current names.
PAM50_SYNONYMS: dict[str, str] = {"CDCA1": "NUF2", "KNTC2": "NDC80", "ORC6L": "ORC6"}

#: PAM50 genes grouped by the biology they carry (project definition).
PAM50_MODULES: dict[str, tuple[str, ...]] = {
    "proliferation": (
        "ANLN", "BIRC5", "CCNB1", "CCNE1", "CDC20", "CDC6", "CENPF", "CEP55", "EXO1", "KIF2C",
        "MELK", "MKI67", "MYBL2", "NDC80", "NUF2", "ORC6", "PTTG1", "RRM2", "TYMS", "UBE2C",
        "UBE2T",
    ),
    "luminal": (
        "BAG1", "BCL2", "BLVRA", "CXXC5", "ESR1", "FOXA1", "GPR160", "MAPT", "MDM2", "MLPH",
        "NAT1", "PGR", "SLC39A6",
    ),
    "basal": (
        "ACTR3B", "CDH3", "EGFR", "FOXC1", "KRT14", "KRT17", "KRT5", "MIA", "MYC", "PHGDH",
        "SFRP1",
    ),
    "her2": ("ERBB2", "GRB7", "FGFR4", "TMEM45B", "MMP11"),
}  # fmt: skip

SUBTYPES: tuple[str, ...] = ("LumA", "LumB", "Her2", "Basal", "Normal")

#: log2 offset of each PAM50 module per subtype (project-defined "PAM50-like" profile).
SUBTYPE_MODULE_PROFILE: dict[str, dict[str, float]] = {
    "LumA": {"proliferation": -1.0, "luminal": 1.5, "basal": -1.0, "her2": -0.5},
    "LumB": {"proliferation": 1.0, "luminal": 1.0, "basal": -1.0, "her2": 0.0},
    "Her2": {"proliferation": 0.8, "luminal": -0.3, "basal": -0.5, "her2": 1.5},
    "Basal": {"proliferation": 1.2, "luminal": -1.5, "basal": 2.0, "her2": -1.0},
    "Normal": {"proliferation": -1.5, "luminal": 0.0, "basal": 0.5, "her2": -0.5},
}

#: Non-PAM50 marker genes, by biological programme (real symbols).
MARKERS: dict[str, tuple[str, ...]] = {
    # 17q12 ERBB2 amplicon (ERBB2 and GRB7 are PAM50 genes and listed there).
    "her2_amplicon": ("STARD3", "PGAP3", "MIEN1", "PNMT", "TCAP", "PSMD3", "MED1", "CDK12"),
    # Receptors and ligands of the ERBB family (EGFR is a PAM50 gene).
    "erbb_receptors_ligands": (
        "ERBB3", "ERBB4", "NRG1", "NRG2", "EREG", "AREG", "BTC", "HBEGF", "TGFA", "EGF",
    ),
    # Signalling components downstream of the receptors (RAS/MAPK, adaptors, STAT).
    "erbb_downstream": (
        "SHC1", "GRB2", "SOS1", "HRAS", "KRAS", "RAF1", "BRAF", "MAP2K1", "MAPK1", "MAPK3",
        "PTK2", "SRC", "STAT3", "STAT5A", "PLCG1", "CBL", "JUN", "ELK1", "ABL1", "NCK1",
    ),
    "pi3k_akt_mtor": (
        "PIK3CA", "PIK3CB", "PIK3R1", "PIK3CD", "AKT1", "AKT2", "AKT3", "MTOR", "RPS6KB1",
        "EIF4EBP1", "PDPK1", "RICTOR", "RPTOR", "MLST8", "SGK1", "TSC2",
    ),
    "luminal_estrogen": (
        "GATA3", "XBP1", "KRT8", "KRT18", "KRT19", "TFF1", "TFF3", "AR", "SPDEF", "AGR2",
        "CA12", "GREB1", "MYB",
    ),
    "basal_extra": (
        "KRT6A", "KRT6B", "KRT16", "KRT23", "VIM", "CAV1", "LAMB3", "TRIM29", "ANXA8", "CRYAB",
        "SOX10", "EN1",
    ),
    "immune_t_nk": (
        "PTPRC", "CD3D", "CD3E", "CD2", "CD8A", "CD8B", "GZMA", "GZMB", "GZMK", "PRF1", "NKG7",
        "CD247", "CD3G", "CD6", "SH2D1A", "TRAT1", "CTSW", "GNLY", "GZMH", "KLRB1", "KLRD1",
        "KLRK1", "XCL1", "XCL2", "NCR1",
    ),
    "immune_ifng": ("IFNG", "CXCL9", "CXCL10", "CXCL11", "STAT1", "IDO1", "HLA-DRA", "CD274"),
    "immune_b_myeloid": (
        "CD19", "MS4A1", "CD79A", "CD68", "CD163", "CSF1R", "BLK", "FCRL2", "PNOC", "SPIB",
        "TCL1A", "TNFRSF17", "FAM30A", "CD84", "MS4A4A",
    ),
    "housekeeping": ("ACTB", "GAPDH", "RPLP0", "B2M", "TBP", "HPRT1", "PGK1", "PPIA"),
}  # fmt: skip

IMMUNE_PROGRAMMES: tuple[str, ...] = ("immune_t_nk", "immune_ifng", "immune_b_myeloid")


def named_genes() -> list[str]:
    """All real gene symbols the simulator plants, PAM50 first, without duplicates."""
    out: list[str] = list(PAM50)
    seen = set(out)
    for genes in MARKERS.values():
        for g in genes:
            if g not in seen:
                out.append(g)
                seen.add(g)
    return out


def pam50_module_of(gene: str) -> str:
    """Return the module a PAM50 gene belongs to (raises KeyError for non-PAM50 genes)."""
    for module, genes in PAM50_MODULES.items():
        if gene in genes:
            return module
    raise KeyError(gene)
