"""Benchmarks of the platform, every figure a ratio against a baseline measured in the same run.

``python -m bench.run`` (``make bench``) measures ingestion of CSV and Excel returns, the new-month
end-to-end time against a full rebuild, dashboard query latency and peak memory, then writes a JSON
result under ``bench/results/`` and the table in ``docs/benchmarks.md``. ``--quick`` is the
smoke-size run that the test suite exercises.
"""
