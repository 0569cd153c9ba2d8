"""Benchmarks: run them as scripts (`python bench/engine.py`); see bench/README.md."""
