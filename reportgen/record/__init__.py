"""The record (schema reportgen/1): typed blocks, one build function per kind, frozen after it."""
