"""The briefs server's own decisions, without a server: which live page gets the preview of
the default view, and when a taken kernel is replaced."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
import tornado.web

from odata.briefs.pool import Demand, trim_pools
from odata.briefs.server import BriefsVoila, ServeOptions, preview_fragment


@pytest.fixture
def options(tmp_path: Path) -> ServeOptions:
    views = {"it": {"lang": "it", "anno": "2024"}, "en": {"lang": "en", "anno": "2024"}}
    (tmp_path / "imprese.views.json").write_text(json.dumps(views))
    for lang in views:
        (tmp_path / f"imprese.{lang}.preview.html").write_text(f"<main>preview {lang}</main>")
    return ServeOptions(dashboards_dir=tmp_path, static_dir=tmp_path)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "preview it"),
        ("lang=it", "preview it"),
        ("lang=en", "preview en"),
        ("anno=2024&lang=en", "preview en"),  # the default, spelt out
        ("anno=2023", None),  # another view: the preview would show the wrong numbers
        ("lang=en&territorio=001", None),
        ("lang=fr", None),
        ("lang=../../etc/passwd", None),
    ],
)
def test_only_the_default_view_gets_its_preview(
    options: ServeOptions, query: str, expected: str | None
) -> None:
    found = preview_fragment(options, "imprese", query)
    assert expected in found if expected else found is None, (query, found)


def test_no_preview_without_a_static_render(options: ServeOptions) -> None:
    assert preview_fragment(options, "progetto", "") is None


def test_a_taken_kernel_is_replaced_late_only_when_demand_is_calm(options: ServeOptions) -> None:
    demand = Demand(options, window=30.0)
    assert demand.refill_delay("imprese", ready_left=1) == options.calm_refill_delay
    assert demand.refill_delay("imprese", ready_left=0) == options.refill_delay  # pool ran dry
    demand.turned_away("imprese")  # a visitor got the static view for want of a kernel
    assert demand.refill_delay("imprese", ready_left=1) == options.refill_delay
    assert demand.refill_delay("progetto", ready_left=1) == options.calm_refill_delay
    assert options.calm_refill_delay > options.refill_delay


def test_waiting_visitors_are_the_turn_aways_of_one_reload_period(options: ServeOptions) -> None:
    demand = Demand(options, window=30.0)
    assert demand.waiting("imprese") == 0
    for _ in range(3):
        demand.turned_away("imprese")
    assert (demand.waiting("imprese"), demand.waiting("progetto")) == (3, 0)
    assert demand.pressed("imprese") and not demand.pressed("progetto")


class Pools:
    """Just the part of Voilà's kernel manager the pool functions read: ``_pools`` of start-up
    tasks whose result names a kernel whose notebook has run (``task`` done), and shutdown."""

    def __init__(self, ready: int) -> None:
        self._pools = {"imprese.ipynb": [self._ready(f"k{i}") for i in range(ready)]}
        self.shut: list[str] = []

    @staticmethod
    def _ready(kernel: str) -> Future[dict[str, object]]:
        rendered: Future[None] = Future()
        rendered.set_result(None)
        task: Future[dict[str, object]] = Future()
        task.set_result({"kernel_id": kernel, "task": rendered})
        return task

    def list_kernel_ids(self) -> list[str]:
        return [t.result()["kernel_id"] for pool in self._pools.values() for t in pool]  # type: ignore[misc]

    async def shutdown_kernel(self, kernel_id: str) -> None:
        self.shut.append(kernel_id)
        for pool in self._pools.values():
            pool[:] = [t for t in pool if t.result()["kernel_id"] != kernel_id]


def trim(manager: Pools, demand: Demand, options: ServeOptions) -> None:
    """Run the coroutine on a loop of its own, in a thread: the test process may have one."""
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, trim_pools(manager, demand, options)).result()


def test_extra_kernels_are_trimmed_only_once_nobody_waits(options: ServeOptions) -> None:
    manager, demand = Pools(ready=5), Demand(options, window=30.0)
    demand.turned_away("imprese")
    trim(manager, demand, options)
    assert manager.shut == []  # a visitor is still waiting: keep them
    trim(manager, Demand(options, window=30.0), options)
    assert len(manager.shut) == 5 - options.pool_size
    assert len(manager._pools["imprese.ipynb"]) == options.pool_size


def test_a_kernel_gone_during_the_shutdown_does_not_crash_the_stop() -> None:
    """SIGTERM while a visitor's beacon (or a pool) was shutting a kernel down: Voilà's
    ``shutdown_all`` raised a 404 for it and the server exited with a traceback."""
    calls: list[int] = []

    class KernelManager:  # a stand-in: the browser tier stops real servers and checks rc 0
        async def shutdown_all(self) -> None:
            calls.append(len(calls))
            if len(calls) == 1:
                raise tornado.web.HTTPError(404, "Kernel does not exist: 20f2ab24")

    app = SimpleNamespace(kernel_manager=KernelManager())
    with ThreadPoolExecutor(1) as pool:  # its own loop: the browser tier may hold this one
        pool.submit(asyncio.run, BriefsVoila._shut_kernels_down(app)).result(30)
    assert calls == [0, 1]
