"""Benchmarks of Qunzu: `python -m bench.load` is the message-load generator (see bench/README.md)."""
