from her2het import genes as G


def test_pam50_has_50_unique_current_symbols():
    assert len(G.PAM50) == 50 and len(set(G.PAM50)) == 50
    assert not set(G.PAM50_SYNONYMS) & set(G.PAM50)  # outdated names are not used
    assert set(G.PAM50_SYNONYMS.values()) <= set(G.PAM50)


def test_every_pam50_gene_in_exactly_one_module():
    members = [g for genes in G.PAM50_MODULES.values() for g in genes]
    assert sorted(members) == sorted(G.PAM50)


def test_subtype_profiles_cover_all_modules():
    for st in G.SUBTYPES:
        assert set(G.SUBTYPE_MODULE_PROFILE[st]) == set(G.PAM50_MODULES)


def test_named_genes_unique_and_pam50_first():
    named = G.named_genes()
    assert len(named) == len(set(named))
    assert tuple(named[:50]) == G.PAM50
