# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # Students in classrooms: growth curves at two levels
#
# **Question.** Reading scores of children are measured in three waves. How much do
# classrooms matter, beyond the differences between children and their growth rates?
#
# **Data.** `bl.datasets.classrooms`: 20 classrooms x 8 students x 3 waves. Truth: +8
# points per wave, classroom sd 5, student intercept sd 8 and growth sd 2 (correlation
# 0.3), residual sd 4; the classroom share of a wave-0 score's variance is
# 25 / (25 + 64 + 16) = 0.24.
#
# **Model.** `score ~ wave + (1 + wave | student) + (1 | classroom)`: students have their
# own starting level and growth; classrooms shift all their students. Student ids are
# unique, so `(1 | student)` needs no nesting syntax (with ids repeated across classrooms
# one would write `(1 + wave | classroom:student)`).

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
        fig.savefig(FIGURES / f"students_in_classrooms_{name}.png", dpi=100, bbox_inches="tight")
    return fig


# %%
df = bl.datasets.classrooms(seed=8)
truth = df.attrs["truth"]
df.head()

# %%
fit = bl.Model("score ~ wave + (1 + wave | student) + (1 | classroom)", df).fit(
    draws=DRAWS, tune=DRAWS, chains=CHAINS, seed=1, progress=False)
fit.variance_components()

# %% [markdown]
# The proportions are shares of the total variance on the scale of a score (a slope's
# share is its variance times the variance of `wave`). The classroom share of a score at
# wave 0 uses the intercept components only; it is computed draw by draw.

# %%
d = fit.draws()
v_class, v_student, v_res = d["sd(1|classroom)"] ** 2, d["sd(1|student)"] ** 2, d["sigma"] ** 2
icc = v_class / (v_class + v_student + v_res)
lo, hi = icc.quantile(0.03), icc.quantile(0.97)
print(f"classroom share at wave 0: {icc.mean():.2f} [{lo:.2f}, {hi:.2f}] (truth {truth['icc_classroom']:.2f})")
if not (lo < truth["icc_classroom"] < hi):
    raise RuntimeError(f"classroom share interval [{lo:.3f}, {hi:.3f}] misses {truth['icc_classroom']:.3f}")

# %%
save(fit.plot("caterpillar", group="classroom"), "classrooms")
save(fit.plot("proportions"), "proportions")

# %% [markdown]
# ## What to conclude
#
# * Roughly a quarter of the variation in a starting score lies between classrooms: an
#   analysis of students alone would treat the 8 students of a class as independent and
#   overstate the precision of anything measured at the classroom level.
# * Students also differ in growth; the correlation of starting level and growth tells
#   whether gaps widen (positive) or close (negative).
# * With 20 classrooms the classroom variance is known only roughly: its interval is wide.
