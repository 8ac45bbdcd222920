"""Benchmarks: ``helpline bench NAME --json`` prints one JSON object with the figures."""
