"""Spec files: every kernel source, data files, quick mode, ``validate``, and bad specs that
exit with code 2 and name the file and the key. Nothing here samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bayeslmm as bl
from bayeslmm.cli import main
from bayeslmm.specfile import QUICK_SAMPLER, SpecFileError, load_spec

N = 40


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Data and kernel inputs of every supported format, for N simulated individuals."""
    d = tmp_path_factory.mktemp("inputs")
    data, kernels = bl.datasets.heritability(n=N, m=80, h2=0.4, m2=0.2, taxa=25, seed=4)
    geno = bl.datasets.genotypes(N, 80, seed=4)
    data.to_csv(d / "pheno.csv", index=False)
    geno.to_csv(d / "geno.csv")
    for frame in (data, geno):
        frame.attrs = {}  # simulation truth and allele frequencies do not go into Parquet metadata
    data.to_parquet(d / "pheno.parquet", index=False)
    geno.to_parquet(d / "geno.parquet")
    bl.datasets.microbiome_counts(N, 25, seed=4).to_csv(d / "counts.tsv", sep="\t")
    _, meth = bl.datasets.methylation_trait(n=N, m=30, probes=20, seed=4)
    meth["methylation"].to_csv(d / "beta.csv")
    bl.kernels.write_matrix(kernels["M"], d / "M.csv")
    bl.kernels.write_matrix(bl.kernels.grm(geno), d / "G.npy")
    from bed_reader import to_bed

    to_bed(d / "cohort.bed", np.array(geno.to_numpy(dtype=np.float32)), properties={"iid": list(geno.index)})
    animals, objects = bl.datasets.animal_model(n_founders=10, n_generations=2, seed=4)
    animals.to_csv(d / "animals.csv", index=False)
    objects["pedigree"].to_csv(d / "ped.csv", index=False)
    return d


def _write(folder: Path, text: str, name: str = "spec.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


GRM_SPEC = """
[data]
file = "{data}"
[model]
formula = "y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))"
[kernels.G]
{gsource}
[kernels.M]
{msource}
[sampler]
draws = 300
chains = 2
seed = 5
"""


@pytest.mark.parametrize("data", ["pheno.csv", "pheno.parquet"])
@pytest.mark.parametrize("gsource", ['genotypes = "geno.csv"', 'genotypes = "geno.parquet"', 'plink = "cohort"',
                                     'matrix = "G.npy"\nids = "G.ids"'])
def test_kernel_sources_and_data_files(files, data, gsource):
    spec = load_spec(_write(files, GRM_SPEC.format(data=data, gsource=gsource, msource='abundance = "counts.tsv"')))
    assert len(spec.data) == N and spec.sampler["draws"] == 300 and spec.sampler["chains"] == 2
    G, M = spec.kernels["G"], spec.kernels["M"]
    assert G.n == N and M.n == N and G.name == "G"
    assert M.source.startswith("microbiome(")
    reference = bl.kernels.grm(bl.datasets.genotypes(N, 80, seed=4))
    np.testing.assert_allclose(G.matrix, reference.matrix, atol=1e-6)  # every source gives the same GRM
    model = spec.model()
    assert model.spec.components == ("1|gr(id, cov=G)", "1|gr(id, cov=M)", "Residual")


def test_matrix_csv_methylation_and_hadamard(files):
    text = GRM_SPEC.format(data="pheno.csv", gsource='genotypes = "geno.csv"', msource='matrix = "M.csv"')
    text += '[kernels.E]\nmethylation = "beta.csv"\n[kernels.GG]\nhadamard = ["G", "G"]\n'
    spec = load_spec(_write(files, text))
    assert spec.kernels["M"].source.startswith("read_matrix(")
    assert spec.kernels["E"].source.startswith("methylation(")
    product = bl.kernels.hadamard(spec.kernels["G"], spec.kernels["G"])
    np.testing.assert_allclose(spec.kernels["GG"].matrix, product.matrix)


def test_pedigree_csv_and_validate(files, capsys):
    path = _write(files, """
[data]
file = "animals.csv"
[model]
formula = "weight ~ sex + (1 | gr(animal, cov=A))"
[kernels.A]
pedigree = "ped.csv"
""")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "kernel A" in out and "rows dropped" in out  # founders have no phenotype
    assert load_spec(path).kernels["A"].source.startswith("pedigree(")


def test_quick_mode_from_the_environment(monkeypatch, tmp_path):
    path = _write(tmp_path, """
[data]
simulate = "rater_reliability"
args = { n_subjects = 30, seed = 1 }
quick = { n_subjects = 12 }
[model]
formula = "score ~ 1 + (1 | subject) + (1 | rater)"
""")
    full = load_spec(path)
    assert full.sampler["draws"] == 1000 and full.data["subject"].nunique() == 30
    assert full.truth["icc"] == pytest.approx(9 / 15.25)
    monkeypatch.setenv("BAYESLMM_QUICK", "1")
    from bayeslmm.specfile import quick_requested

    quick = load_spec(path, quick=quick_requested())
    assert {k: quick.sampler[k] for k in QUICK_SAMPLER} == QUICK_SAMPLER
    assert quick.data["subject"].nunique() == 12


GOOD = """
[data]
simulate = "heritability"
args = {{ n = 30, m = 40, taxa = 0 }}
[model]
formula = "y ~ x + (1 | gr(id, cov=G))"
[kernels.G]
simulated = "G"
{extra}
"""

BAD = {
    "unknown top-level table": ("[sampling]\ndraws = 10", "sampling"),
    "draws not an integer": ('[sampler]\ndraws = "many"', "sampler.draws"),
    "negative chains": ("[sampler]\nchains = -2", "sampler.chains"),
    "unknown sampler": ('[sampler]\nsampler = "gibbs"', "sampler.sampler"),
    "prior without parameters": ('[priors]\ntau = { dist = "HalfNormal" }', "priors.tau"),
    "prior for an unknown term": ('[priors]\nage = { dist = "Normal", mu = 0, sigma = 1 }', "priors"),
    "unknown report key": ("[report]\ncolour = 1", "report.colour"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_exits_2_naming_file_and_key(tmp_path, capsys, case):
    extra, key = BAD[case]
    path = _write(tmp_path, GOOD.format(extra=extra))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and f"[{key}]" in err, err


BAD_WHOLE = {
    "toml syntax": ("[data\nfile = 1", "toml"),
    "no model table": ('[data]\nsimulate = "heritability"', "model"),
    "unknown simulator": ('[data]\nsimulate = "nope"\n[model]\nformula = "y ~ 1"', "data.simulate"),
    "unknown simulator argument": ('[data]\nsimulate = "heritability"\nargs = { bogus = 1 }\n'
                                   '[model]\nformula = "y ~ 1"', "data.args.bogus"),
    "missing data file": ('[data]\nfile = "missing.csv"\n[model]\nformula = "y ~ 1"', "data.file"),
    "file and simulate": ('[data]\nfile = "a.csv"\nsimulate = "heritability"\n[model]\nformula = "y ~ 1"', "data"),
    "unknown column": ('[data]\nsimulate = "rater_reliability"\n[model]\nformula = "score ~ age + (1 | rater)"',
                       "model.formula"),
    "formula not a string": ('[data]\nsimulate = "rater_reliability"\n[model]\nformula = 3', "model.formula"),
    "two kernel sources": (GOOD.format(extra="").replace('simulated = "G"', 'simulated = "G"\nplink = "x"'),
                           "kernels.G"),
    "missing pedigree file": (GOOD.format(extra="").replace('simulated = "G"', 'pedigree = "ped.csv"'),
                              "kernels.G.pedigree"),
    "kernel not returned by the simulator": (GOOD.format(extra="").replace('simulated = "G"', 'simulated = "M"'),
                                             "kernels.G.simulated"),
    "hadamard of an undefined kernel": (GOOD.format(extra='[kernels.GG]\nhadamard = ["G", "K"]'),
                                        "kernels.GG.hadamard"),
    "kernel named in the formula but not defined": (GOOD.format(extra="").replace("cov=G", "cov=K"), "kernels"),
}


@pytest.mark.parametrize("case", sorted(BAD_WHOLE))
def test_bad_whole_spec_exits_2(tmp_path, capsys, case):
    text, key = BAD_WHOLE[case]
    path = _write(tmp_path, text)
    assert main(["fit", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and f"[{key}]" in err, err
    assert not (tmp_path / "out").exists()


def test_missing_spec_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.toml")]) == 2
    assert "none.toml" in capsys.readouterr().err
    with pytest.raises(SpecFileError) as info:
        load_spec(tmp_path / "none.toml")
    assert info.value.key == "file"


def test_console_script_exit_code(tmp_path):
    """The installed entry point returns the exit code to the shell."""
    path = _write(tmp_path, GOOD.format(extra='[sampler]\ndraws = "many"'))
    exe = Path(sys.executable).with_name("bayeslmm")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bayeslmm.cli"]
    run = subprocess.run(cmd + ["validate", str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "[sampler.draws]" in run.stderr and str(path) in run.stderr
    help_run = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=300)
    assert help_run.returncode == 0 and "demo" in help_run.stdout


@pytest.mark.parametrize("spec", sorted((Path(__file__).resolve().parents[2] / "models").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_catalogue_specs_validate(spec, capsys):
    assert main(["validate", str(spec), "--quick"]) == 0
    assert "valid" in capsys.readouterr().out
