"""Benchmarks of adstudio_nb against the sandbox: ``python -m benchmarks [--quick]``.

Each scenario module runs a naive approach (as someone following the guide would write it),
the toolkit, and a floor side by side in one run and returns its figures; ``__main__``
prints the table (seconds, ratios, each target met or not) and writes
``benchmarks/results/latest.json``. Scenarios that talk HTTP serve the sandbox from a child
process (:func:`benchmarks.common.served_sandbox`), as Spotify is another machine: in the
benchmark's own process its request handling would compete with the client for the GIL.
Timings that are cheap to repeat are the median of several runs, every run reported.
"""
