"""Words on the page: headlines, findings and section prose, and how numbers are written."""
