"""The webhook dispatcher: one asyncio loop per process, in a thread of its own, with
many signed POSTs in flight over one pooled `aiohttp.ClientSession`.

Why not a batch at a time from a thread pool (the first version): one operation seen by
100 parties is 100 POSTs, and a batch waited for its slowest receiver before the next
was claimed, so a receiver that timed out held every party's notices for its timeout,
and a busy hub queued notices behind whole batches. Here each delivery is a task: new
deliveries are claimed as soon as the sequencer numbers them (it wakes this loop) while
earlier ones are still in flight; at most `Tuning.per_party` POSTs go to one party at a
time, so a slow receiver delays only its own notices. Claims and records are database
writes, so they come in batches: a claim when woken, or when half the slots are free
again after a full claim; outcomes every `RECORD_EVERY_S` (or every
`Tuning.concurrency` outcomes). Both run in one helper thread, so the loop keeps
sending meanwhile.

aiohttp rather than httpx (used elsewhere): with 128 connections in flight, httpx's
`AsyncClient` spent about 15 ms of CPU per POST here (its pool rechecks every connection
for each request; encode/httpx#3215), aiohttp about 0.2 ms.

Correctness does not rest on this loop: deliveries are leased in the database
(`webhook.claim`), and one that is never recorded (the process died, the loop stopped
mid-send) is tried again when its lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import aiohttp

from deconflict.channel import wakeups, webhook
from deconflict.store.backend import Database

log = logging.getLogger("deconflict.channel")
RECORD_EVERY_S = 0.05
"""Outcomes are written at most this often (a delivery already reached its receiver)."""


class Dispatcher:
    """Sends due webhook deliveries until `stop` is set (run `run` in a thread)."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], float],
        tuning: webhook.Tuning,
        poll_s: float,
        stop: threading.Event,
    ) -> None:
        self.database = database
        self.clock = clock
        self.tuning = tuning
        self.poll_s = poll_s
        self.stop = stop
        self.rng = random.Random()
        self.in_flight: Counter[str] = Counter()
        self.outcomes: list[tuple[webhook.Job, str | None]] = []

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        news = asyncio.Event()  # the sequencer numbered notices
        poke = asyncio.Event()  # anything: news, a finished POST, a written batch
        flag = wakeups.AsyncFlag(loop, news, poke)
        wakeups.SEQUENCED.add(flag)
        helper = ThreadPoolExecutor(1, thread_name_prefix="webhook-db")
        concurrency = self.tuning.concurrency
        client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency),
            timeout=aiohttp.ClientTimeout(total=self.tuning.timeout_s),
        )
        tasks: set[asyncio.Task[None]] = set()
        writing: asyncio.Future[None] | None = None
        claim_at = 0.0  # monotonic: when to claim (the poll)
        full = False  # the last claim filled every free slot: more may be due
        written_at = 0.0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                room = concurrency - len(tasks)
                wanted = news.is_set() or now >= claim_at or (full and room >= concurrency // 2)
                poke.clear()
                if wanted and room > 0:
                    news.clear()
                    claim_at = now + self.poll_s
                    jobs = await self._claim(loop, helper, room)
                    full = len(jobs) >= room
                    for job in jobs:
                        self.in_flight[job.party] += 1
                        task = asyncio.create_task(self._deliver(client, job, poke))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                idle = writing is None or writing.done()
                ripe = now - written_at >= RECORD_EVERY_S or len(self.outcomes) >= concurrency
                if self.outcomes and idle and ripe:
                    batch, self.outcomes = self.outcomes, []
                    written_at = now
                    writing = loop.run_in_executor(helper, self._settle, batch)
                    writing.add_done_callback(lambda _: poke.set())
                timeout = claim_at - now
                if self.outcomes:
                    timeout = min(timeout, written_at + RECORD_EVERY_S - now)
                if not poke.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(poke.wait(), max(timeout, 0.001))
        finally:
            wakeups.SEQUENCED.unsubscribe(flag)
            for task in tasks:
                task.cancel()  # never recorded: tried again when the lease expires
            await asyncio.gather(*tasks, return_exceptions=True)
            if writing is not None:
                await writing
            if self.outcomes:
                await loop.run_in_executor(helper, self._settle, self.outcomes)
            await client.close()
            helper.shutdown(wait=True)

    async def _claim(
        self, loop: asyncio.AbstractEventLoop, helper: ThreadPoolExecutor, room: int
    ) -> list[webhook.Job]:
        try:
            return await loop.run_in_executor(
                helper,
                webhook.claim,
                self.database,
                self.clock(),
                self.tuning,
                room,
                dict(self.in_flight),
            )
        except Exception:  # logged; the next wake-up or poll retries
            log.exception("claiming webhook deliveries failed")
            return []

    async def _deliver(
        self, client: aiohttp.ClientSession, job: webhook.Job, poke: asyncio.Event
    ) -> None:
        try:
            error = await webhook.send(client, job, self.clock())
            self.outcomes.append((job, error))
        finally:
            self.in_flight[job.party] -= 1
            poke.set()

    def _settle(self, batch: list[tuple[webhook.Job, str | None]]) -> None:
        try:
            webhook.settle(self.database, batch, self.clock, self.tuning, self.rng)
        except Exception:  # logged; unrecorded deliveries are retried after their lease
            log.exception("recording webhook outcomes failed")
