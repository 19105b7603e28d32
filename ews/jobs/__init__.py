"""Scheduled jobs: every job's entry point, the registry, the tick claims, the runner of a job and
the scheduler; and the indicator computation the ``compute-indicators`` job runs (frames in, the
``indicators`` core, values stored)."""

from ews.jobs.registry import JOBS, PIPELINE, Job, get_job, job_names
from ews.jobs.runs import JobOutcome, UnknownJobError, run_job

__all__ = [
    "JOBS",
    "PIPELINE",
    "Job",
    "JobOutcome",
    "UnknownJobError",
    "get_job",
    "job_names",
    "run_job",
]
