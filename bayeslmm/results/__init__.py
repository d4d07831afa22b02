"""Posterior results: the Fit object, tables, predictions, diagnostics, criteria, plots, reports and I/O."""
