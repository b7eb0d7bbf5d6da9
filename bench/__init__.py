"""Benchmarks: `python -m bench` (or `make bench`); `--only media` or `--only coldstart`.

They print numbers and never assert them. Each measured case runs in a fresh Python process:
media cases so their peak RSS, read from the OS, is their own (media are generated once into a
cache folder under the system temp dir, see bench.media, and never committed); cold-start cases
(bench.coldstart) so every import is a first import.
"""
