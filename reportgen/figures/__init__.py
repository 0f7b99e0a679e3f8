"""Figures: matplotlib (object API) turning analysis results into SVG."""
