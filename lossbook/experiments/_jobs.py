"""Run several trainings, in this process or in worker processes (same numbers either way)."""
from __future__ import annotations


def schedule(costs) -> list[int]:
    """The order in which to start jobs of the given estimated ``costs``: longest first.

    Handing the longest job to the first free worker (the LPT rule) keeps a short job from
    being left for last behind a long one: for trainings costing 71, 12, 68, 75 and 25
    seconds on 2 workers, the order of the list ends after 146 s, longest-first after 139 s.
    Ties keep their order in the list.
    """
    costs = [float(c) for c in costs]
    return sorted(range(len(costs)), key=lambda i: -costs[i])


def run_jobs(fn, jobs, workers, progress, what, costs=None):
    """``[fn(job) for job in jobs]``, in ``workers`` processes when ``workers > 1``.

    In-process runs show one tqdm bar per training; with workers, one bar counts the
    finished trainings (the workers' own bars would go to their stderr, not here). Each
    worker is a fresh (spawned) interpreter that imports lossbook; results come back
    pickled, in the order of ``jobs``. ``costs`` (one estimate per job, any unit) makes the
    workers start the longest jobs first (:func:`schedule`); the results do not depend on it.
    """
    if costs is not None and len(costs) != len(jobs):
        raise ValueError(f"costs must have one entry per job ({len(jobs)}), got {len(costs)}")
    if workers in (None, 0, 1) or len(jobs) <= 1:
        return [fn(job, progress=progress) for job in jobs]
    import concurrent.futures as futures
    import multiprocessing

    from tqdm.auto import tqdm

    order = schedule(costs) if costs is not None else range(len(jobs))
    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=int(workers), mp_context=context) as pool:
        pending = {pool.submit(fn, jobs[index]): index for index in order}
        with tqdm(total=len(jobs), desc=what, disable=not progress) as bar:
            for future in futures.as_completed(pending):
                results[pending[future]] = future.result()
                bar.update(1)
    return results
