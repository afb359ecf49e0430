"""Reading files in a worker process with hard limits against reading them in-process.

Intake checks and parses every file in a worker process (``ingestion/sandbox.py``) so that no file
can take the batch down; this measures what that costs per file. The same sample files are read
both ways in one fresh process, best of three, after a warm-up: in-process is
``ingestion.sandbox.check_and_parse`` called directly (the very function a worker runs), the
sandbox is ``ingestion.sandbox.read_file`` (send the path, the worker checks and parses, the
parsed frames come back pickled). Starting a worker (a fresh interpreter importing the parsers:
once per pool, and again after a worker is stopped for a bad file) is measured apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.measure import ratio, run_worker
from bench.samples import SampleSet


def measure_sandbox(sample: SampleSet, *, limit: int | None = None) -> dict[str, Any]:
    """Per format: seconds per file in-process and in a worker, the overhead and the ratio."""
    from bench.ingestion import _ingestible

    files = [
        {"path": str(sample.path_of(f)), "member": f.member, "format": fmt}
        for fmt in ("csv", "xlsx")
        for f in _ingestible(sample, fmt, limit)
    ]
    if not files:
        return {"skipped": "no sample files"}
    result = run_worker("sandbox", {"files": files, "repeats": 3})
    if not result.get("ok"):
        return {"skipped": f"failed: {result.get('error')}"}
    for figures in result["formats"].values():
        figures["sandbox_vs_in_process"] = ratio(
            figures["sandbox_seconds"], figures["in_process_seconds"]
        )
        files_read = figures["files"]
        figures["in_process_ms_per_file"] = 1000 * figures["in_process_seconds"] / files_read
        figures["sandbox_ms_per_file"] = 1000 * figures["sandbox_seconds"] / files_read
        figures["overhead_ms_per_file"] = (
            figures["sandbox_ms_per_file"] - figures["in_process_ms_per_file"]
        )
    return {
        "formats": result["formats"],
        "worker_start_seconds": result["worker_start_seconds"],
        "limits": result["limits"],
    }


def read_both_ways(args: dict[str, Any]) -> dict[str, Any]:
    """In the bench worker process: read ``args["files"]`` in-process and through the sandbox."""
    import time

    from ingestion import sandbox

    files = [(Path(f["path"]), f["member"], f["format"]) for f in args["files"]]
    repeats = int(args.get("repeats", 3))
    # Warm-up: the parsers imported here, a worker started, every file read once each way.
    for path, member, _ in files:
        sandbox.check_and_parse(path, member)
        sandbox.read_file(path, member)

    def best(action) -> float:
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            action()
            timings.append(time.perf_counter() - started)
        return min(timings)

    starts = []
    for _ in range(repeats):
        sandbox.shutdown()
        started = time.perf_counter()
        sandbox.warm_up()
        starts.append(time.perf_counter() - started)
    formats: dict[str, Any] = {}
    for file_format in sorted({f[2] for f in files}):
        chosen = [(p, m) for p, m, f in files if f == file_format]
        formats[file_format] = {
            "files": len(chosen),
            "in_process_seconds": best(lambda c=chosen: [sandbox.check_and_parse(*f) for f in c]),
            "sandbox_seconds": best(lambda c=chosen: [sandbox.read_file(*f) for f in c]),
        }
    limits = sandbox.SandboxLimits.from_environment()
    return {
        "formats": formats,
        "worker_start_seconds": min(starts),
        "limits": {
            "memory_mb": limits.memory_mb,
            "cpu_seconds": limits.cpu_seconds,
            "wall_seconds": limits.wall_seconds,
        },
    }
