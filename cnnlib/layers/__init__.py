"""Blocks shared by several architectures (one idea per file)."""
