"""Analyses: each function takes a Cohort (or a table) and returns a small result object."""
