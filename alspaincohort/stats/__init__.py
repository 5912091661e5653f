"""Numerical engines on arrays (mixed models, Cox models)."""
