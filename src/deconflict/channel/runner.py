"""The channel's background work in each API process: the sequencer, the webhook
dispatcher, the escalation ladder and the dispatcher of the hub's notifications to USSs
(`uss_notifications`), each a loop in a daemon thread.

Every process runs them; correctness needs none of them to be unique (the sequencer
holds a row lock, deliveries and rungs are claimed with `SKIP LOCKED`). A pass that
fails is logged and retried on the next tick; the loops never die.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from deconflict.audit.checkpoint import CheckpointSigner
from deconflict.channel import ladder, sequencer, wakeups, webhook
from deconflict.channel.uss_notifications import UssDispatcher
from deconflict.channel.uss_tokens import TokenSource, UssTokens
from deconflict.store.backend import Database

log = logging.getLogger("deconflict.channel")
WEBHOOK_SENDERS = 32
"""Concurrent webhook POSTs per process (they wait on the network, not the CPU)."""
USS_TIMEOUT_S = 3.0
"""A call to a USS gives up after this long (connect, send or read) and is retried: the
standard expects USSs to answer at once, and one that hangs must not hold a sender."""


@dataclass(frozen=True)
class Timing:
    poll_s: float = 0.5
    """Idle sleep of the sequencer and the dispatcher between wake-ups: work this process
    commits wakes them at once (`wakeups`); the poll finds other processes' leftovers."""
    min_gap_s: float = 0.05
    """Least time between two passes of the sequencer or the dispatcher: under load, a
    pass per commit would cost more than the commits; waiting this long gathers a batch
    (and adds at most this much to a notice's delivery)."""
    escalate_every_s: float = 0.5
    checkpoint_every_s: float = 1.0
    webhook: webhook.Tuning = field(default_factory=webhook.Tuning)
    uss: webhook.Tuning = field(default_factory=lambda: webhook.Tuning(timeout_s=USS_TIMEOUT_S))
    """The hub's calls to USSs: the webhooks' rules, a shorter timeout."""

    @classmethod
    def from_extra(cls, extra: dict) -> Timing:
        values = dict(extra.get("channel", {}))
        tuning = webhook.Tuning(**values.pop("webhook", {}))
        uss = webhook.Tuning(**{"timeout_s": USS_TIMEOUT_S, **values.pop("uss", {})})
        return cls(**values, webhook=tuning, uss=uss)


class Runner:
    """Starts and stops the loops for one process."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], float],
        signer: CheckpointSigner,
        timing: Timing | None = None,
        uss_tokens: UssTokens | None = None,
        released: ladder.Released | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.signer = signer
        self.timing = timing or Timing()
        self.uss_tokens = uss_tokens or UssTokens(TokenSource())
        self.released = released
        """Told of operations the ladder's policy releases (see `ladder.Released`)."""
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self._unsigned_since: float | None = None

    def _loop(
        self, name: str, step: Callable[[], int], idle_s: float, wake: wakeups.Wake | None
    ) -> None:
        flag = wake.subscribe() if wake is not None else self.stop_event
        try:
            while not self.stop_event.is_set():
                try:
                    busy = step()
                except Exception:  # logged; the next tick retries
                    log.exception("channel %s pass failed", name)
                    busy = 0
                if busy or wake is not None:
                    # After work, or before the next wake-up's pass: gather a batch.
                    self.stop_event.wait(self.timing.min_gap_s)
                if busy:
                    continue
                if wake is None:
                    self.stop_event.wait(idle_s)
                else:
                    wakeups.wait(flag, idle_s)
        finally:
            if wake is not None:
                wake.unsubscribe(flag)

    def sequence_once(self) -> int:
        """One sequencer pass if there is work, or an unsigned tail has waited long enough."""
        overdue = (
            self._unsigned_since is not None
            and self.clock() - self._unsigned_since >= self.timing.checkpoint_every_s
        )
        if not overdue and not sequencer.pending(self.database):
            return 0
        result = sequencer.run_pass(
            self.database,
            self.clock,
            self.signer,
            checkpoint_every_s=self.timing.checkpoint_every_s,
            force_checkpoint=overdue,
        )
        if result.checkpoint is not None:
            self._unsigned_since = None
        elif (result.events or result.notices) and self._unsigned_since is None:
            self._unsigned_since = self.clock()
        if overdue and result.checkpoint is None:
            self._unsigned_since = None  # another process signed it, or nothing to sign
        if result.notices:
            wakeups.SEQUENCED.notify()
        return result.events + result.notices

    def start(self) -> None:
        limits = httpx.Limits(
            max_connections=WEBHOOK_SENDERS, max_keepalive_connections=WEBHOOK_SENDERS
        )
        client = httpx.Client(timeout=self.timing.webhook.timeout_s, limits=limits)
        pool = ThreadPoolExecutor(WEBHOOK_SENDERS, thread_name_prefix="webhook")
        rng = random.Random()

        def dispatch() -> int:
            return webhook.dispatch_pass(
                self.database, self.clock, client, self.timing.webhook, rng, pool
            )

        loops = [
            ("sequencer", self.sequence_once, self.timing.poll_s, wakeups.QUEUED),
            ("dispatcher", dispatch, self.timing.poll_s, wakeups.SEQUENCED),
            (
                "ladder",
                lambda: ladder.escalate_pass(self.database, self.clock, released=self.released),
                self.timing.escalate_every_s,
                None,
            ),
        ]
        for name, step, idle, wake in loops:
            thread = threading.Thread(
                target=self._loop,
                args=(name, step, idle, wake),
                name=f"channel-{name}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)
        uss = UssDispatcher(
            self.database,
            self.clock,
            self.timing.uss,
            self.uss_tokens,
            self.timing.poll_s,
            self.stop_event,
        )
        thread = threading.Thread(target=uss.run, name="channel-uss-dispatcher", daemon=True)
        thread.start()
        self.threads.append(thread)
        self._closers = (client.close, lambda: pool.shutdown(wait=False))

    def stop(self) -> None:
        self.stop_event.set()
        wakeups.QUEUED.notify()
        wakeups.SEQUENCED.notify()
        wakeups.USS.notify()
        for thread in self.threads:
            thread.join(timeout=10)
        for close in getattr(self, "_closers", ()):
            close()
