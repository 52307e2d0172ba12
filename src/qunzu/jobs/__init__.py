"""Scheduled work (`jobs/catalogue.py` lists it; `qunzu jobs list` and `qunzu jobs run NAME` from the command line).

Every server process runs the scheduler; each job is idempotent and works in small batches, so two processes running
the same job at once only share the work.
"""

from qunzu.jobs.catalogue import platform_jobs
from qunzu.jobs.schedule import Job, Scheduler, run_job

__all__ = ["Job", "Scheduler", "platform_jobs", "run_job"]
