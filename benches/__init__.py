"""Benchmarks and the seeded generators they use (run directly; not part of the test run)."""
