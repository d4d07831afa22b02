"""Likelihood strategies: one module per strategy, each with build(spec) -> pm.Model; choose.py picks one."""
