"""Run several trainings, in this process or in worker processes (same numbers either way)."""
from __future__ import annotations


def run_jobs(fn, jobs, workers, progress, what):
    """``[fn(job) for job in jobs]``, in ``workers`` processes when ``workers > 1``.

    In-process runs show one tqdm bar per training; with workers, one bar counts the
    finished trainings (the workers' own bars would go to their stderr, not here). Each
    worker is a fresh (spawned) interpreter that imports lossbook; results come back
    pickled, in the order of ``jobs``.
    """
    if workers in (None, 0, 1) or len(jobs) <= 1:
        return [fn(job, progress=progress) for job in jobs]
    import concurrent.futures as futures
    import multiprocessing

    from tqdm.auto import tqdm

    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=int(workers), mp_context=context) as pool:
        pending = {pool.submit(fn, job): index for index, job in enumerate(jobs)}
        with tqdm(total=len(jobs), desc=what, disable=not progress) as bar:
            for future in futures.as_completed(pending):
                results[pending[future]] = future.result()
                bar.update(1)
    return results
