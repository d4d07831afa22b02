# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # Protein quantification from peptides, with missing peptides
#
# **Question.** Mass spectrometry measures peptides, not proteins. Peptides of the same
# protein ionise with very different efficiency ("loud" and "quiet" peptides), and quiet
# peptides are often not detected. What is the protein's log2 fold change between diseased
# and control samples?
#
# **Data.** `bl.datasets.peptides`: one protein, 12 peptides, 6 control and 6 diseased
# samples; a peptide is missing with a probability from 0.6 (quietest) to 0.05
# (loudest). Truth: log2 fold change 1.0, peptide sd 1.5, sample (loading) sd 0.2,
# residual sd 0.3.
#
# **Model.** `log2_intensity ~ condition + (1 | peptide) + (1 | sample)`: peptides are
# repeated measurements of the protein with their own offset; the fold change is shared
# (the model of MSstats-style summarisation). Missing intensities are dropped and counted;
# because missingness depends on the peptide, which the model knows, the estimate stays
# unbiased.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayeslmm as bl

DRAWS = int(os.environ.get("BAYESLMM_EXAMPLE_DRAWS", "1000"))
CHAINS = int(os.environ.get("BAYESLMM_EXAMPLE_CHAINS", "4"))
FIGURES = Path(__file__).resolve().parent / "figures" if "__file__" in globals() else Path("figures")


def save(fig, name):
    """Write ``fig`` to examples/figures/ when BAYESLMM_EXAMPLE_FIGURES is set (for the docs)."""
    if os.environ.get("BAYESLMM_EXAMPLE_FIGURES"):
        FIGURES.mkdir(exist_ok=True)
        fig.savefig(FIGURES / f"peptide_protein_quantification_{name}.png", dpi=100, bbox_inches="tight")
    return fig


# %%
df = bl.datasets.peptides(seed=18)
truth = df.attrs["truth"]
wide = df.pivot(index="peptide", columns="sample", values="log2_intensity")
print(f"{df['log2_intensity'].isna().sum()} of {len(df)} peptide intensities missing")
wide.round(1)

# %%
model = bl.Model("log2_intensity ~ condition + (1 | peptide) + (1 | sample)", df)
print(model.dropped_rows.describe())
fit = model.fit(draws=DRAWS, tune=DRAWS, chains=CHAINS, seed=1, progress=False)
fe = fit.fixed_effects()
fe

# %%
row = fe.loc["condition[disease]"]
print(f"log2 fold change {row['mean']:.2f} [{row['lower']:.2f}, {row['upper']:.2f}] (truth {truth['condition[disease]']})")
if not (row["lower"] < truth["condition[disease]"] < row["upper"]):
    raise RuntimeError(f"fold change interval [{row['lower']:.3f}, {row['upper']:.3f}] misses "
                       f"{truth['condition[disease]']}")

# %% [markdown]
# ## Compared with averaging peptides per sample
#
# The naive summary averages the observed peptides of each sample, then compares the
# conditions with a two-sample standard error. A sample that happens to miss quiet peptides
# gets a higher average, so the per-sample summaries carry the noise of *which* peptides
# were seen; the mixed model compares each peptide with itself.

# %%
per_sample = df.dropna().groupby(["sample", "condition"])["log2_intensity"].mean().reset_index()
a = per_sample.loc[per_sample["condition"] == "disease", "log2_intensity"]
b = per_sample.loc[per_sample["condition"] == "control", "log2_intensity"]
naive_fc = a.mean() - b.mean()
naive_se = np.sqrt(a.var() / len(a) + b.var() / len(b))
print(f"naive (per-sample averages): {naive_fc:.2f} +/- {naive_se:.2f} (standard error)")
print(f"mixed model:                 {row['mean']:.2f} +/- {row['sd']:.2f} (posterior sd); truth {truth['condition[disease]']}")

fig, ax = plt.subplots(figsize=(7, 4))
for pep, g in df.groupby("peptide"):
    ax.plot(g["sample"], g["log2_intensity"], "o-", ms=3, lw=0.6, alpha=0.7)
ax.set_xlabel("sample (S01-S06 control, S07-S12 disease)")
ax.set_ylabel("log2 intensity")
ax.tick_params(axis="x", labelrotation=90)
save(fig, "peptides")
save(fit.plot("caterpillar", group="peptide"), "peptide_effects")

# %% [markdown]
# ## What to conclude
#
# * The protein is about twice as abundant in disease (log2 fold change near 1), with an
#   interval that accounts for peptides, samples and measurement noise.
# * Here missingness depends on the peptide only and is the same in both conditions, so
#   averaging per sample is not biased, but it is noisier: its standard error includes the
#   varying mix of loud and quiet peptides, which the peptide random effects remove. When
#   detection differs between conditions (fewer quiet peptides seen where the protein is
#   scarce), the per-sample average is also biased, while the model, which compares each
#   peptide with itself, is not, as long as missingness depends on the peptide and the
#   condition. Missingness that depends on the unobserved intensity itself (censoring at
#   the detection limit) needs a censored model.
