"""Model specification without PyMC: formula parsing, design matrices, kernels alignment, priors (ModelSpec)."""
