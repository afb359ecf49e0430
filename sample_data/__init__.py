"""Deterministic sample submissions: realistic member returns for demos, tests and benchmarks.

``generate_samples(landing_dir)`` writes template workbooks and CSV files into
``landing_dir/<MEMBER>/`` as members would send them and returns a :class:`SampleManifest`
listing every file and every injected event (spikes, a new route, missing, late and nil
returns, corrections).
"""

from sample_data.common import SampleError, month_list
from sample_data.generation import generate_samples
from sample_data.manifest import MANIFEST_NAME, SampleManifest

__all__ = ["MANIFEST_NAME", "SampleError", "SampleManifest", "generate_samples", "month_list"]
