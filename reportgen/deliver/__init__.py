"""Delivery: atomic writes, the archive seal, the size budget, CI files, email and PDF."""
