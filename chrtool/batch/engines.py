"""Where a batch job's units of work run: a local process pool, or a Dask distributed cluster.

Both take the same functions of chrtool/batch/stages.py and give their results in the order
of the tasks, so that the outputs cannot depend on which worker finished first.
"""
import os


class LocalEngine:
    """A pool of worker processes on this machine (in this process with one worker)."""

    name = "local"

    def __init__(self, workers=None):
        self.workers = max(1, workers or min(os.cpu_count() or 1, 8))

    def map(self, fn, tasks, step=None):
        """fn(task) for every task, results in task order; step() after each one finishes."""
        if not tasks:
            return []
        if self.workers == 1 or len(tasks) == 1:
            out = []
            for t in tasks:
                out.append(fn(t))
                if step:
                    step()
            return out
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        # a pool per stage, its workers spawned, not forked: each starts clean whatever the
        # coordinator holds, and gives its memory back when the stage ends (max_tasks_per_child
        # would do that per task, but deadlocks on Python 3.11: CPython gh-115634)
        out = [None] * len(tasks)
        with ProcessPoolExecutor(min(self.workers, len(tasks)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
            for f in as_completed(futures):
                out[futures[f]] = f.result()
                if step:
                    step()
        return out

    def close(self):
        pass


class DaskEngine:
    """Dask distributed: the cluster at `scheduler` (tcp://HOST:PORT), or a LocalCluster of
    `workers` single-threaded worker processes when none is given. Workers must see the inputs
    and OUTDIR at the same paths (a shared file system)."""

    name = "dask"

    def __init__(self, workers=None, scheduler=None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ImportError("--engine dask needs Dask distributed: pip install "
                              "'chrtool[dask]'") from exc
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(n_workers=max(1, workers or 2), threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)

    def map(self, fn, tasks, step=None):
        if not tasks:
            return []
        from distributed import as_completed
        futures = self.client.map(fn, tasks, pure=False)
        for _ in as_completed(futures):
            if step:
                step()
        return self.client.gather(futures)

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def engine(name, workers=None, scheduler=None):
    if name == "dask":
        return DaskEngine(workers, scheduler)
    if scheduler:
        raise ValueError("--scheduler goes with --engine dask")
    return LocalEngine(workers)
