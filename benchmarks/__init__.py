"""Benchmarks of the notebooks (`make bench`)."""
