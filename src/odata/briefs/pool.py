"""The briefs' kernel pools: which pre-heated kernel a visitor may take, and how the pools
follow demand.

Voilà keeps ``pool_size`` pre-heated kernels per notebook and replaces a taken one after
``fill_delay``. On two cores that is too slow for a crowd and too eager for a single visitor,
so the server times the refill (``Demand.refill_delay``), grows a pool for the visitors who
wait (``grow_pool``) and trims it back (``trim_pools``). These functions read and drive
Voilà's kernel manager (its ``_pools`` of start-up tasks) and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from voila.request_info_handler import RequestInfoSocketHandler

if TYPE_CHECKING:
    from odata.briefs.server import ServeOptions

__all__ = ["TRIM_EVERY_S", "Demand", "grow_pool", "kernel_ready", "trim_pools"]

log = logging.getLogger(__name__)

TRIM_EVERY_S = 60


class Demand:
    """How hard visitors press on each brief's pool: who was turned to the static view for
    want of a kernel, and when.

    A visitor waiting for a kernel reloads the static view every ``refresh_seconds``, so the
    turn-aways of one such period count the visitors waiting (``waiting``). The pool grows by
    that many kernels at once (``grow_pool``) instead of being refilled one taken kernel at a
    time, and shrinks back once demand is calm (``trim_pools``).

    A taken kernel is replaced after ``calm_refill_delay`` when demand is calm (nobody turned
    away in the last ``window`` seconds and another pre-rendered kernel still waiting), so the
    visitor's page loads on idle cores; otherwise after ``refill_delay``.
    """

    def __init__(self, options: ServeOptions, window: float = 30.0) -> None:
        self.options = options
        self.window = window
        self._turned: dict[str, deque[float]] = {}

    def turned_away(self, brief: str) -> None:
        now = time.monotonic()
        times = self._turned.setdefault(brief, deque())
        times.append(now)
        while times and times[0] < now - self.window:
            times.popleft()

    def waiting(self, brief: str) -> int:
        since = time.monotonic() - self.options.refresh_seconds - 1
        return sum(1 for moment in self._turned.get(brief, ()) if moment >= since)

    def pressed(self, brief: str) -> bool:
        times = self._turned.get(brief)
        return times is not None and bool(times) and time.monotonic() - times[-1] < self.window

    def refill_delay(self, brief: str, ready_left: int) -> float:
        calm = ready_left > 0 and not self.pressed(brief)
        return self.options.calm_refill_delay if calm else self.options.refill_delay


def kernel_ready(manager: Any, notebook: str, max_kernels: int) -> int:
    """How many pre-rendered kernels of ``notebook`` are waiting, or 0 when none is or when
    visitors hold the cap of kernels.

    A finished pool task only means the kernel process is up; the notebook may still be
    importing (measured: ~20 s on two busy cores). A kernel is *pre-rendered* once it waits in
    ``wait_for_request()`` (its request-info socket is open) or has run every cell.
    Voilà hands out the *first* pool task, so the pre-rendered one is moved to the front;
    failed tasks are dropped (and the pool refilled) so they cannot block the pool.
    """
    pools: dict[str, list[asyncio.Task[Any]]] = getattr(manager, "_pools", {})
    pool = pools.get(notebook, [])
    if _drop_failed(pool):
        manager.fill_if_needed(notebook_name=notebook)
    ready = [task for task in pool if _prerendered(task)]
    if not ready or visitor_kernels(manager, pools) >= max_kernels:
        return 0
    pool.remove(ready[0])
    pool.insert(0, ready[0])
    return len(ready)


def grow_pool(manager: Any, notebook: str, options: ServeOptions, waiting: int) -> None:
    """Start a kernel for each visitor waiting, all at once: a pool refilled one taken kernel
    at a time leaves the cores idle between a kernel being ready and the next reload taking
    it. Visitors' kernels and the extra ones stay within ``max_kernels``."""
    pools: dict[str, list[asyncio.Task[Any]]] = getattr(manager, "_pools", {})
    pool = pools.get(notebook, [])
    room = options.max_kernels - visitor_kernels(manager, pools)
    starting = sum(1 for tasks in pools.values() for task in tasks if not _prerendered(task))
    # a few at a time: eight kernels started together on two cores were all ready only
    # after 22 s and slowed the static pages to 4 s; the next reloads top the pool up again
    target = min(
        options.pool_size + max(0, min(waiting, room)),
        len(pool) + max(0, options.max_starting - starting),
    )
    if len(pool) >= target:
        return
    normal = manager.kernel_pools_config
    # Voilà reads the pool size from its configuration as it fills; it is put back at once,
    # so the pool shrinks to its normal size as visitors take the extra kernels
    manager.kernel_pools_config = {
        **normal,
        notebook: {**normal.get(notebook, {}), "pool_size": target},
    }
    try:
        manager.fill_if_needed(delay=0, notebook_name=notebook)
    finally:
        manager.kernel_pools_config = normal
    log.info("Pool of %s grown to %d kernels for %d waiting visitor(s)", notebook, target, waiting)


async def trim_pools(manager: Any, demand: Demand, options: ServeOptions) -> None:
    """Shut down the pre-rendered kernels grown beyond ``pool_size`` once nobody waits."""
    pools: dict[str, list[asyncio.Task[Any]]] = getattr(manager, "_pools", {})
    for notebook, pool in list(pools.items()):
        if demand.pressed(notebook.removesuffix(".ipynb")) or len(pool) <= options.pool_size:
            continue
        extra = [task for task in pool if _prerendered(task)][: len(pool) - options.pool_size]
        for task in extra:
            await manager.shutdown_kernel(task.result()["kernel_id"])
        log.info("Pool of %s trimmed by %d kernel(s)", notebook, len(extra))


def visitor_kernels(manager: Any, pools: dict[str, list[asyncio.Task[Any]]]) -> int:
    """Running kernels that are not waiting in a pool, i.e. held by a visitor."""
    pooled = {task.result()["kernel_id"] for pool in pools.values() for task in pool if _ok(task)}
    return len(set(manager.list_kernel_ids()) - pooled)


def _ok(task: asyncio.Task[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


def _prerendered(task: asyncio.Task[Any]) -> bool:
    if not _ok(task):
        return False
    content = task.result()
    waiting = content["kernel_id"] in RequestInfoSocketHandler._waiters
    return waiting or bool(content["task"].done())


def _drop_failed(pool: list[asyncio.Task[Any]]) -> bool:
    failed = [t for t in pool if t.done() and not _ok(t)]
    for task in failed:
        pool.remove(task)
        log.error("A pre-heated kernel failed to start: %r", None if task.cancelled() else task)
    return bool(failed)
