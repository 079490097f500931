"""Benchmarks of baked projects (issue 7): numbers printed beside their goals, never asserts."""
