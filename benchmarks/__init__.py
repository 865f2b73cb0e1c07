"""Benchmarks of adstudio_nb against the sandbox: ``python -m benchmarks [--quick]``.

Each scenario module runs a naive approach (as someone following the guide would write it),
the toolkit, and a floor side by side in one process and returns its figures; ``__main__``
prints the table and writes ``benchmarks/results/latest.json``.
"""
