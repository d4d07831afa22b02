# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # Rater reliability: the ICC from an unbalanced crossed design
#
# **Question.** How reproducible is a biochemical assay scored by several technicians? The
# intraclass correlation (ICC) is the share of the variance of one rating that is due to
# true differences between participants, the rest being technician differences and
# measurement error.
#
# **Data.** `bl.datasets.rater_reliability`: 40 participants, 6 technicians, each pair
# rated with probability 0.75 (scheduling mishaps): an unbalanced, incomplete crossed
# design that classical two-way ANOVA handles badly. Truth: participant sd 3, technician sd
# 1.5, residual sd 2, so ICC = 9 / (9 + 2.25 + 4) = 0.59.
#
# **Model.** `score ~ 1 + (1 | subject) + (1 | rater)`: crossed random effects. bayeslmm
# samples the total variance and its split into proportions, so the ICC is the
# `proportion` of `1|subject`: a parameter with its own posterior, not a ratio computed
# afterwards.

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
        fig.savefig(FIGURES / f"rater_reliability_{name}.png", dpi=100, bbox_inches="tight")
    return fig


# %%
df = bl.datasets.rater_reliability(seed=4)
truth = df.attrs["truth"]
print(f"{len(df)} ratings of {df['subject'].nunique()} participants by {df['rater'].nunique()} technicians "
      f"({len(df) / (40 * 6):.0%} of the full design)")
pd.crosstab(df["subject"], df["rater"]).head(8)

# %%
fit = bl.Model("score ~ 1 + (1 | subject) + (1 | rater)", df).fit(
    draws=DRAWS, tune=DRAWS, chains=CHAINS, seed=1, progress=False)
vc = fit.variance_components()
vc

# %% [markdown]
# ## The ICC
#
# ICC(1) = share of `1|subject`: the reliability of a single rating by a random technician
# (absolute agreement). The reliability of the mean of k ratings by different technicians,
# ICC(k), follows draw by draw: s²_p / (s²_p + (s²_r + s²_e) / k).

# %%
icc = vc.loc["1|subject"]
print(f"ICC(1) = {icc['proportion']:.2f}, 94% HDI [{icc['proportion_lower']:.2f}, {icc['proportion_upper']:.2f}]"
      f" (truth {truth['icc']:.2f})")
if not (icc["proportion_lower"] < truth["icc"] < icc["proportion_upper"]):
    raise RuntimeError(f"ICC interval [{icc['proportion_lower']:.3f}, {icc['proportion_upper']:.3f}] "
                       f"misses the simulated {truth['icc']:.3f}")

d = fit.draws()
p_subject, p_rater = d["proportion(1|subject)"], d["proportion(1|rater)"]
for k in (1, 2, 4):
    icc_k = p_subject / (p_subject + (1 - p_subject) / k)
    print(f"ICC({k}) = {icc_k.mean():.2f} [{icc_k.quantile(0.03):.2f}, {icc_k.quantile(0.97):.2f}]")

# %%
save(fit.plot("variance"), "variance")

# %% [markdown]
# Technician effects (shrunken towards 0): which technicians score high or low.

# %%
save(fit.plot("caterpillar", group="rater"), "raters")

# %% [markdown]
# ## What to conclude
#
# * One rating reflects the participant to about 60%; the technician adds a systematic
#   offset (its share is the second largest) and the rest is measurement error. Averaging
#   two or four technicians raises the reliability as the ICC(k) rows show.
# * Every rating was used despite the missing pairs: the likelihood needs no balanced
#   design, and the posterior of the ICC is bounded in [0, 1] by construction.
# * With only 6 technicians their variance is uncertain; the interval of the technician
#   share says how much more technicians would help.
