# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # Individual monitoring: forecast a new patient and choose the next visit
#
# **Question.** A diabetes clinic follows HbA1c every 3 months. A new patient has had four
# visits (months 0, 3, 6, 9). When should the next visit be, so that the probability that
# their HbA1c exceeds the 7.0% action threshold before we see them stays below 5%?
#
# **Data.** `bl.datasets.monitoring_cohort`: 80 followed patients with 6 visits each and
# the new patient `"new"` with 4 visits. Truth: population intercept 6.5%, slope 0.01 per
# month, patient sds 0.4 and 0.02, residual sd 0.1; the new patient's own trajectory is
# 6.2% + 0.035 per month: lower than average today but rising 3.5 times faster.
#
# **Model.** `hba1c ~ month + (1 + month | patient)` fitted to everyone, the new patient
# included. Their random intercept and slope are then posterior draws that combine their
# four visits with what the cohort says about how patients vary: shrinkage.

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
        fig.savefig(FIGURES / f"individual_monitoring_{name}.png", dpi=100, bbox_inches="tight")
    return fig


# %%
df = bl.datasets.monitoring_cohort(seed=2)
truth = df.attrs["truth"]
new = df[df["patient"] == "new"]
new

# %%
fit = bl.Model("hba1c ~ month + (1 + month | patient)", df).fit(
    draws=DRAWS, tune=DRAWS, chains=CHAINS, seed=1, progress=False)
fit.variance_components()

# %% [markdown]
# ## Shrinkage: four visits are not enough to trust a straight line
#
# A least-squares line through the new patient's four visits uses only their data. The
# posterior line is pulled towards the population trajectory, the more so the fewer and
# noisier the visits. The shrinkage plot shows it for every patient: raw per-patient slopes
# (x) against posterior means (y).

# %%
save(fit.plot("shrinkage", group="patient", coef="month"), "shrinkage")

# %%
future = pd.DataFrame({"patient": "new", "month": np.arange(0.0, 31.0)})
mean_traj = fit.predict(future)  # the patient's own expected HbA1c
population = fit.predict(future, include_random=False)
ols = np.polyfit(new["month"], new["hba1c"], 1)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(new["month"], new["hba1c"], "ko", label="new patient's visits")
ax.plot(future["month"], np.polyval(ols, future["month"]), "C3:", label="least squares on 4 visits")
ax.plot(future["month"], population["mean"], "C7--", label="population average")
ax.plot(future["month"], mean_traj["mean"], "C0", lw=2, label="posterior (shrunken) trajectory")
ax.fill_between(future["month"], mean_traj["lower"], mean_traj["upper"], color="C0", alpha=0.2)
ax.plot(future["month"], truth["new_intercept"] + truth["new_slope"] * future["month"], "C2", lw=1,
        label="true trajectory")
ax.axhline(truth["threshold"], color="C3", lw=0.8)
ax.set_xlabel("month")
ax.set_ylabel("HbA1c (%)")
ax.legend(frameon=False, fontsize=8)
save(fig, "forecast")

# %% [markdown]
# ## Choosing the next visit
#
# For each candidate month after the last visit, the posterior predictive distribution of
# a measurement (`kind="response"`: the patient's trajectory plus measurement noise, with
# the uncertainty of every parameter) gives the probability of exceeding 7.0%. The next
# visit is the latest month such that this probability stays below 5% up to it.

# %%
last = truth["last_visit"]
candidates = pd.DataFrame({"patient": "new", "month": last + np.arange(1.0, 25.0)})
draws = fit.predict(candidates, kind="response", return_draws=True)
p_exceed = (draws > truth["threshold"]).mean(axis=0)
safe = p_exceed < 0.05
k = len(safe) if safe.all() else int(np.argmin(safe))
next_visit = float(candidates["month"].iloc[max(k, 1) - 1])
print(f"next visit at month {next_visit:g} ({next_visit - last:g} months after the last visit); "
      f"with the true parameters it would be month {truth['oracle_next_visit']:g}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(candidates["month"], p_exceed, "o-", ms=3)
ax.axhline(0.05, color="C3", ls="--", lw=1)
ax.axvline(next_visit, color="C2", lw=1)
ax.set_xlabel("month of the next visit")
ax.set_ylabel("P(HbA1c > 7.0%)")
save(fig, "next_visit")

# %% [markdown]
# The headline check: the new patient's true expected HbA1c at the chosen visit must lie in
# the 94% interval of the forecast, and their true slope in the interval of their posterior
# slope (population slope plus their random slope).

# %%
at_visit = fit.predict(pd.DataFrame({"patient": ["new"], "month": [next_visit]}))
true_mean = truth["new_intercept"] + truth["new_slope"] * next_visit
lo, hi = at_visit["lower"].iloc[0], at_visit["upper"].iloc[0]
print(f"forecast at month {next_visit:g}: {at_visit['mean'].iloc[0]:.2f} [{lo:.2f}, {hi:.2f}], truth {true_mean:.2f}")
if not (lo < true_mean < hi):
    raise RuntimeError(f"forecast interval [{lo:.3f}, {hi:.3f}] at month {next_visit} misses the true mean {true_mean:.3f}")

slopes = fit.random_effects("patient").xs("month", level="term")
b1 = fit.fixed_effects().loc["month", "mean"]
own = slopes.loc["new"]
print(f"new patient's slope: {b1 + own['mean']:.4f} per month (truth {truth['new_slope']}); "
      f"least squares on {len(new)} visits: {ols[0]:.4f}; population: {b1:.4f}")

# %% [markdown]
# ## What to conclude
#
# * The forecast combines the patient's visits with the cohort: the posterior slope lies
#   between the least-squares slope of the patient's own visits and the population slope
#   (shrinkage), and the forecast interval widens with the horizon.
# * The next-visit rule uses the predictive distribution of a measurement, so it accounts
#   for measurement noise, for the uncertainty in this patient's trajectory and for the
#   uncertainty in the population parameters.
# * Two forces move the date away from the one the true parameters would give: the
#   uncertainty of a four-visit trajectory makes the rule cautious (earlier), and shrinkage
#   towards the average slope makes it optimistic for a patient who rises faster than most
#   (later). The 5% guarantee holds on average over patients like those of the cohort, not
#   for each one; every new visit sharpens the patient's own trajectory and moves the date.
