"""Pure analysis: numbers in, numbers out (no plotting, no HTML)."""
