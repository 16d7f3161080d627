"""Satisfaction surveys: plain rules (what counts as a low score, the scale) and their choices."""
