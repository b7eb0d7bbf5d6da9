"""Benchmarks for boulderstat.imaging: `python -m bench` (or `make bench`).

They print numbers and never assert them. Each measured case runs in a fresh Python process so
its peak RSS, read from the OS, is its own. Media are generated once into a cache folder under
the system temp dir (see bench.media) and are never committed.
"""
