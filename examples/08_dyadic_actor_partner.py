# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # Couples: the actor-partner interdependence model
#
# **Question.** In couples where both partners take HIV medication, does a person's
# adherence depend on the support they perceive (actor effect) and on the support their
# partner perceives (partner effect)?
#
# **Data.** `bl.datasets.dyads`: 150 couples, both partners measured. Truth: actor effect
# +5 points per sd of perceived support, partner effect +3, couple sd 6, residual sd 8.
#
# **Model.** `adherence ~ support + partner_support + (1 | couple)`. Each person's row has
# their own and their partner's report; the couple random intercept accounts for the
# shared variance of the two partners (the dyadic non-independence). For distinguishable
# dyads (e.g. patient and carer), add the role and its interactions: `role * (support +
# partner_support)`.

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
        fig.savefig(FIGURES / f"dyadic_actor_partner_{name}.png", dpi=100, bbox_inches="tight")
    return fig


# %%
df = bl.datasets.dyads(seed=9)
truth = df.attrs["truth"]
df.head(4)

# %%
fit = bl.Model("adherence ~ support + partner_support + (1 | couple)", df).fit(
    draws=DRAWS, tune=DRAWS, chains=CHAINS, seed=1, progress=False)
fe = fit.fixed_effects()
fe

# %%
for name in ("support", "partner_support"):
    row = fe.loc[name]
    print(f"{name}: {row['mean']:.2f} [{row['lower']:.2f}, {row['upper']:.2f}] (truth {truth[name]})")
    if not (row["lower"] < truth[name] < row["upper"]):
        raise RuntimeError(f"{name}: interval [{row['lower']:.3f}, {row['upper']:.3f}] misses {truth[name]}")

# %% [markdown]
# The ratio k = partner / actor effect (Kenny's "couple pattern"): k near 1 means a person
# responds to their partner's perception as much as to their own.

# %%
d = fit.draws()
k = d["partner_support"] / d["support"]
print(f"k = {k.median():.2f} [{k.quantile(0.03):.2f}, {k.quantile(0.97):.2f}]")
vc = fit.variance_components()
vc

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.hist(d["support"], bins=40, alpha=0.6, label="actor")
ax.hist(d["partner_support"], bins=40, alpha=0.6, label="partner")
ax.axvline(truth["support"], color="C0", ls="--")
ax.axvline(truth["partner_support"], color="C1", ls="--")
ax.set_xlabel("effect on adherence (points per sd of support)")
ax.legend(frameon=False)
save(fig, "effects")

# %% [markdown]
# ## What to conclude
#
# * Both effects are positive: one's own perceived support matters most, and the partner's
#   perception adds an effect of its own.
# * The couple share (`1|couple`) is the residual non-independence of partners after the
#   two predictors; ignoring it would treat 300 people as 300 independent observations.
