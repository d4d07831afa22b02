"""`bl.gwas.scan` end to end: inputs, sample matching, skipped SNPs, results, plots, dask."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import bayeslmm as bl
from bayeslmm.errors import DataError, SpecError
from bayeslmm.gwas import SampleMismatchWarning
from bayeslmm.spec.data import DroppedRowsWarning

NUMERIC = ["beta", "se", "chi2", "p", "log10_bf", "af"]


def _scan(small, **kw):
    args = dict(chromosomes=small.chromosomes, ids=small.ids, positions=small.positions, snp_ids=small.snps)
    args.update(kw)
    return bl.gwas.scan(small.data, "y ~ x", small.G, **args)


@pytest.fixture(scope="module")
def reference(small):
    return _scan(small, alleles=small.alleles)


def _same(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-9, atol: float = 0.0) -> None:
    assert a["snp"].tolist() == b["snp"].tolist()
    for col in NUMERIC:
        np.testing.assert_allclose(a[col].to_numpy(), b[col].to_numpy(), rtol=rtol, atol=atol, err_msg=col)


def test_table_columns_and_causal_snp(reference, small):
    t = reference.table
    assert list(t.columns) == ["chromosome", "position", "snp", "allele1", "allele2", "beta", "se", "chi2", "p",
                               "log10_bf", "af", "n"]
    assert len(t) == 300 and t["chromosome"].tolist()[:2] == ["1", "1"]
    top = reference.top(1).iloc[0]
    assert top["snp"] == "rs40" and top["p"] < 1e-8 and top["log10_bf"] > 5
    # the simulated effect is 0.9 per allele; its se here is about 0.1
    assert top["beta"] == pytest.approx(0.9, abs=0.3)
    assert list(reference.null["chromosome"]) == ["1", "2", "3"]
    assert reference.null["h2"].between(0, 1).all()
    assert (t["n"] == 150).all()
    np.testing.assert_allclose(t["af"], small.G.mean(0) / 2)


def test_inputs_agree_numpy_dataframe_xarray_dask_bed(reference, small, small_bed):
    import dask.array as da
    import xarray as xr

    frame = pd.DataFrame(small.G, index=small.ids, columns=small.snps)
    _same(bl.gwas.scan(small.data, "y ~ x", frame, small.chromosomes, positions=small.positions).table,
          reference.table)
    arr = xr.DataArray(small.G, dims=("sample", "variant"),
                       coords={"sample": small.ids, "variant": small.snps,
                               "chrom": ("variant", small.chromosomes), "pos": ("variant", small.positions)})
    res = bl.gwas.scan(small.data, "y ~ x", arr)
    _same(res.table, reference.table)
    assert res.table["position"].tolist() == list(small.positions)
    dask_arr = da.from_array(small.G, chunks=(50, 64))
    lazy = bl.gwas.scan(small.data, "y ~ x", dask_arr, small.chromosomes, ids=small.ids, snp_ids=small.snps)
    _same(lazy.table, reference.table)
    bed = bl.gwas.scan(small.data, "y ~ x", small_bed)
    _same(bed.table, reference.table)
    assert bed.table[["allele1", "allele2"]].iloc[0].tolist() == ["A", "G"]
    assert bed.table["position"].tolist() == list(small.positions)


def test_chunking_and_interleaved_chromosomes_do_not_change_results(reference, small):
    _same(_scan(small, chunk_size=7).table, reference.table)
    order = np.random.default_rng(1).permutation(small.G.shape[1])
    shuffled = bl.gwas.scan(small.data, "y ~ x", small.G[:, order], small.chromosomes[order], ids=small.ids,
                            snp_ids=small.snps[order], chunk_size=16)
    assert shuffled.table["snp"].tolist() == small.snps[order].tolist()
    back = shuffled.table.set_index("snp").loc[small.snps].reset_index()
    # another SNP order sums the GRM in another order: h² moves within the optimiser's tolerance (1e-7)
    _same(back, reference.table, rtol=1e-4, atol=1e-7)


def test_loco_false_uses_one_kernel(small):
    res = _scan(small, loco=False)
    assert res.null["chromosome"].tolist() == ["all"] and res.report.loco is False
    assert res.top(1)["snp"].iloc[0] == "rs40"


def test_sample_mismatch_counts_warning_and_equivalence(small):
    data = small.data.iloc[5:].copy()
    extra = pd.DataFrame({"id": [f"x{i}" for i in range(12)], "y": 0.0, "x": 0.0})
    data = pd.concat([data, extra]).sample(frac=1.0, random_state=3)
    with pytest.warns(SampleMismatchWarning, match=r"12 of 157 phenotyped samples have no genotypes \('x"):
        res = bl.gwas.scan(data, "y ~ x", small.G, small.chromosomes, ids=small.ids, snp_ids=small.snps)
    r = res.report
    assert (r.n_used, r.n_only_in_data, r.n_only_in_genotypes, r.n_genotyped, r.n_phenotyped) == (145, 12, 5, 150, 157)
    # the same as scanning the matched samples directly
    direct = bl.gwas.scan(small.data.iloc[5:], "y ~ x", small.G[5:], small.chromosomes, ids=small.ids[5:],
                          snp_ids=small.snps)
    _same(res.table, direct.table)


def test_no_shared_ids_names_them(small):
    data = small.data.assign(id=[f"other{i}" for i in range(150)])
    with pytest.raises(DataError, match=r"no sample id is shared.*'s000', 's001'.*'other0'"):
        bl.gwas.scan(data, "y ~ x", small.G, small.chromosomes, ids=small.ids)


def test_duplicate_ids_are_errors(small):
    data = pd.concat([small.data, small.data.iloc[[3]]])
    with pytest.raises(DataError, match=r"one row per sample; duplicated: 's003'"):
        bl.gwas.scan(data, "y ~ x", small.G, small.chromosomes, ids=small.ids)
    ids = small.ids.copy()
    ids[7] = ids[8]
    with pytest.raises(DataError, match=r"genotype sample ids must be unique; duplicated: 's008'"):
        bl.gwas.scan(small.data, "y ~ x", small.G, small.chromosomes, ids=ids)


def test_missing_phenotypes_and_ids_are_dropped_and_counted(small):
    data = small.data.copy()
    data.loc[[0, 1, 2], "y"] = np.nan
    data.loc[4, "x"] = np.nan
    data.loc[9, "id"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleMismatchWarning)
        with pytest.warns(DroppedRowsWarning):
            res = bl.gwas.scan(data, "y ~ x", small.G, small.chromosomes, ids=small.ids)
    assert res.report.n_rows_missing == 5 and res.report.n_used == 145
    assert (res.table["n"] == 145).all()


def test_id_column_none_uses_genotype_order(reference, small):
    res = bl.gwas.scan(small.data.drop(columns="id"), "y ~ x", small.G, small.chromosomes, id_column=None,
                       snp_ids=small.snps)
    _same(res.table, reference.table)


def test_monomorphic_snps_skipped_and_counted(small):
    G = small.G.copy()
    G[:, 3] = 2
    G[:, 250] = 0
    G[5:, 251] = 1  # polymorphic only because of samples that are not analysed
    G[:5, 251] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleMismatchWarning)
        res = bl.gwas.scan(small.data.iloc[5:], "y ~ x", G, small.chromosomes, ids=small.ids, snp_ids=small.snps)
    assert res.report.n_monomorphic == 3 and res.report.n_tested == 297
    assert res.skipped["snp"].tolist() == ["rs3", "rs250", "rs251"]
    assert set(res.skipped["reason"]) == {"monomorphic"}
    assert not res.table["snp"].isin(["rs3", "rs250", "rs251"]).any()


def test_missing_genotypes_mean_imputed_and_counted(small):
    G = small.G.astype(float)
    rng = np.random.default_rng(4)
    holes = rng.random(G.shape) < 0.02
    G[holes] = np.nan
    res = bl.gwas.scan(small.data, "y ~ x", G, small.chromosomes, ids=small.ids)
    assert res.report.n_missing_genotypes == int(holes.sum())
    assert res.report.n_snps_with_missing == int(holes.any(axis=0).sum())
    np.testing.assert_array_equal(res.table["n"].to_numpy(), 150 - holes.sum(axis=0))
    imputed = np.where(holes, np.nanmean(G, axis=0), G)
    # the kernels impute the same way (kernels.grm), so an explicitly imputed input gives the same scan, up to
    # rounding in the GRM that moves the REML h² within the optimiser's tolerance (1e-7)
    direct = bl.gwas.scan(small.data, "y ~ x", imputed, small.chromosomes, ids=small.ids)
    _same(res.table, direct.table, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(res.table["af"], np.nanmean(G, axis=0) / 2)


def test_collinear_snp_is_skipped(small):
    data = small.data.assign(g7=small.G[:, 7].astype(float))
    res = bl.gwas.scan(data, "y ~ x + g7", small.G, small.chromosomes, ids=small.ids, snp_ids=small.snps)
    assert res.skipped["snp"].tolist() == ["rs7"] and res.skipped["reason"].tolist() == ["collinear"]
    assert res.report.n_collinear == 1


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(formula="y ~ x + (1 | id)"), SpecError, "fixed effects only"),
        (dict(variance="bayes"), SpecError, r"variance must be one of .*'bayes'"),
        (dict(prior_sd=0.0), SpecError, "prior_sd must be a positive number, got 0.0"),
        (dict(chunk_size=0), SpecError, "chunk_size must be a positive integer, got 0"),
        (dict(kernel_method="ibs"), SpecError, "kernel_method must be one of .*'ibs'"),
        (dict(loco="yes"), SpecError, "loco must be True or False, got 'yes'"),
        (dict(chromosomes=np.ones(300)), DataError, r"at least 2 chromosomes, got only \['1'\]"),
        (dict(chromosomes=None), DataError, "loco=True needs the chromosome of each SNP"),
        (dict(chromosomes=np.ones(299)), DataError, "chromosomes has 299 entries but genotype matrix has 300 SNPs"),
        (dict(positions=[1.5] * 300), DataError, "positions must be integers"),
        (dict(id_column="sample"), DataError, "data has no id column 'sample'"),
        (dict(id_column=None, data_rows=slice(0, 100)), DataError, "data has 100 rows, the genotypes 150"),
        (dict(formula="y ~ nothere"), bl.FormulaError, "nothere"),
        (dict(ids=np.arange(10)), DataError, "150 samples but 10 ids"),
    ],
)
def test_bad_input(small, kwargs, error, match):
    kwargs = dict(kwargs)
    formula = kwargs.pop("formula", "y ~ x")
    rows = kwargs.pop("data_rows", slice(None))
    args = dict(chromosomes=small.chromosomes, ids=small.ids)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        bl.gwas.scan(small.data.iloc[rows], formula, small.G, **args)


@pytest.mark.parametrize(
    "genotypes, match",
    [
        (np.zeros(150), "must be 2-D"),
        (np.array([["a"] * 3] * 150), "numeric 0/1/2"),
        ("/nonexistent/prefix", "no PLINK .bed file found for '/nonexistent/prefix'"),
    ],
)
def test_bad_genotypes(small, genotypes, match):
    with pytest.raises(DataError, match=match):
        bl.gwas.scan(small.data, "y ~ x", genotypes, None, ids=None, loco=False)


def test_genotype_out_of_range_names_snp(small):
    G = small.G.copy()
    G[10, 123] = 3
    with pytest.raises(bl.BayesLMMError, match="marker 123 has 3.0|SNP 123 has 3.0"):
        bl.gwas.scan(small.data, "y ~ x", G, small.chromosomes, ids=small.ids)


def test_data_must_be_a_dataframe(small):
    with pytest.raises(DataError, match="data must be a pandas DataFrame, got dict"):
        bl.gwas.scan({"y": [1]}, "y ~ 1", small.G, small.chromosomes)


def test_plots_return_figures(reference):
    qq = reference.plot("qq")
    assert isinstance(qq, Figure)
    texts = [t.get_text() for t in qq.axes[0].texts]
    assert any(f"{reference.lambda_gc:.3f}" in t and "lambda" in t for t in texts)
    man = reference.plot("manhattan", title="y")
    assert isinstance(man, Figure)
    levels = sorted(line.get_ydata()[0] for line in man.axes[0].lines)
    np.testing.assert_allclose(levels, [-np.log10(1e-5), -np.log10(5e-8)])
    assert [t.get_text() for t in man.axes[0].get_xticklabels()] == ["1", "2", "3"]
    with pytest.raises(SpecError, match="kind must be one of"):
        reference.plot("volcano")


def test_repr_and_report(reference):
    text = repr(reference)
    assert "300 SNPs tested on 150 samples" in text and "lambda_GC=" in text
    assert reference.report.as_dict()["prior_sd"] == 0.2


def test_toydata_5chrom_from_plink_prefix(bed_data_dir):
    prefix = bed_data_dir / "toydata.5chrom"
    fam = bl.gwas.read_fam(prefix)
    assert fam.shape == (500, 6) and fam["phenotype"].notna().all()
    res = bl.gwas.scan(fam, "phenotype ~ 1", prefix, id_column="iid")
    assert res.report.n_used == 500 and res.report.n_tested + res.report.n_monomorphic == 10_000
    assert res.null["chromosome"].tolist() == ["1", "2", "3", "4", "5"]
    assert res.null["n_snps"].tolist() == [2841, 3622, 2102, 995, 440]
    assert res.table["snp"].iloc[0] == "null_0" and res.table["position"].iloc[0] == 1
    assert {"allele1", "allele2"} <= set(res.table.columns)
    # the sample phenotype has no planted signal: calibrated statistics (observed 0.997)
    assert 0.9 < res.lambda_gc < 1.1
    assert res.table["p"].min() > 5e-8


def test_dask_client_gives_the_local_result(reference, small, small_bed):
    distributed = pytest.importorskip("distributed")
    import dask.array as da

    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        on_cluster = _scan(small, client=client, chunk_size=32, alleles=small.alleles)
        _same(on_cluster.table, reference.table)
        bed = bl.gwas.scan(small.data, "y ~ x", small_bed, client=client, chunk_size=50)
        _same(bed.table, reference.table)
        dask_arr = da.from_array(small.G, chunks=(150, 40))
        lazy = bl.gwas.scan(small.data, "y ~ x", dask_arr, small.chromosomes, ids=small.ids, snp_ids=small.snps,
                            client=client, chunk_size=64)
        _same(lazy.table, reference.table)
    np.testing.assert_array_equal(small.G, small.G.copy())  # the user's array is not modified in place


def test_pcs_equal_eigenvector_covariates(small):
    """pcs=k adds the kernel's top k eigenvectors as covariates: the same as passing them in the formula."""
    K = bl.kernels.grm(small.G, ids=small.ids)
    vectors = K.eigh.vectors
    data = small.data.assign(pc1=vectors[:, 0], pc2=vectors[:, 1])
    with_pcs = _scan(small, loco=False, pcs=2)
    by_hand = bl.gwas.scan(data, "y ~ x + pc1 + pc2", small.G, small.chromosomes, ids=small.ids, snp_ids=small.snps,
                           positions=small.positions, loco=False)
    _same(with_pcs.table, by_hand.table, rtol=1e-6, atol=1e-9)
    assert with_pcs.report.pcs == 2 and "2 PCs" in with_pcs.report.describe()


@pytest.mark.parametrize("pcs", [-1, 1.5, True])
def test_bad_pcs(small, pcs):
    with pytest.raises(SpecError, match="pcs must be a non-negative integer"):
        _scan(small, pcs=pcs)


def test_too_many_pcs_for_the_samples(small):
    with pytest.raises(DataError, match="too few for 2 covariates and 147 PCs"):
        _scan(small, pcs=147)
