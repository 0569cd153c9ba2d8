"""The channel's background work in each API process: the sequencer, the webhook
dispatcher, the escalation ladder and the dispatcher of the hub's notifications to USSs
(`uss_notifications`), each a loop in a daemon thread.

Every process runs them; correctness needs none of them to be unique (the sequencer
holds a row lock, deliveries and rungs are claimed with `SKIP LOCKED`). A pass that
fails is logged and retried on the next tick; the loops never die.

When the sequencer runs is what a notice's delivery time is made of: committed notices
wake it at once (`wakeups.NOTICES`), and it numbers them unless it began numbering less
than `min_gap_s` ago (a busy hub then numbers a batch per pass). It merges mere audit
events into the log once they have waited `merge_every_s`, so that merges come in
batches and stay out of the way of the deliveries that a numbering pass sets off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deconflict.audit.checkpoint import CheckpointSigner
from deconflict.channel import ladder, sequencer, wakeups, webhook
from deconflict.channel.dispatcher import Dispatcher
from deconflict.channel.uss_notifications import UssDispatcher
from deconflict.channel.uss_tokens import TokenSource, UssTokens
from deconflict.store.backend import Database

log = logging.getLogger("deconflict.channel")
MERGE_CHUNK = 128
"""Events merged per transaction: a merge holds the write lock (SQLite) or the head (both)
for this many appends at most, so a numbering pass, a submission or a delivery's record
that comes meanwhile waits a few milliseconds, not the whole backlog."""
USS_TIMEOUT_S = 3.0
"""A call to a USS gives up after this long (connect, send or read) and is retried: the
standard expects USSs to answer at once, and one that hangs must not hold a sender."""


@dataclass(frozen=True)
class Timing:
    poll_s: float = 0.5
    """Idle sleep of the sequencer and the dispatcher between wake-ups: work this process
    commits wakes them at once (`wakeups`); the poll finds other processes' leftovers."""
    min_gap_s: float = 0.02
    """Least time between the starts of two numbering passes: under load a pass per
    commit would cost more than the commits; this gathers a batch (and adds at most
    this much to a notice's delivery)."""
    merge_every_s: float = 0.05
    """How long queued audit events wait to be merged into the log, to gather a batch
    (no delivery waits for it)."""
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
        """Hub time of the first event merged since the last checkpoint we know of."""
        self._numbered_at = float("-inf")
        """Monotonic time the last numbering pass began."""
        self._events_since: float | None = None
        """Monotonic time since which queued events are known to wait (None: none)."""
        self._frontier = sequencer.Frontier()
        """The log's frontier as the last merge left it (`sequencer.merge_pass`)."""
        self._urgent = threading.Event()
        """Set when this process commits notices (`wakeups.NOTICES`), while it runs."""

    def _sequence(self) -> None:
        urgent = self._urgent
        anything = threading.Event()
        wakeups.NOTICES.add(urgent)
        wakeups.NOTICES.add(anything)
        wakeups.QUEUED.add(anything)
        try:
            while not self.stop_event.is_set():
                urgent.clear()
                anything.clear()
                try:
                    delay = self.sequence_once()
                except Exception:  # logged; the next tick retries
                    log.exception("channel sequencer pass failed")
                    delay = self.timing.poll_s
                # While events wait for their merge, only a notice cuts the wait short.
                flag = urgent if self._events_since is not None else anything
                flag.wait(self.timing.poll_s if delay is None else delay)
                # Woken within the numbering gap: let it pass before looking. Every
                # commit wakes the loop, and each look is a query; under load commits
                # come far more often than the gap allows passes.
                self.stop_event.wait(self._numbered_at + self.timing.min_gap_s - time.monotonic())
        finally:
            for wake in (wakeups.NOTICES, wakeups.QUEUED):
                wake.unsubscribe(urgent)
                wake.unsubscribe(anything)

    def sequence_once(self) -> float | None:
        """Number waiting notices (unless a numbering pass began less than `min_gap_s`
        ago), and merge events that waited `merge_every_s` (or sign an overdue
        checkpoint). Returns the seconds until the next pass is due (None: none is)."""
        timing = self.timing
        now = time.monotonic()
        work = sequencer.waiting(self.database)
        due: list[float] = []
        if work.notices:
            if now - self._numbered_at >= timing.min_gap_s:
                self._numbered_at = now
                numbered = sequencer.number_pass(self.database, self.clock)
                if numbered:
                    wakeups.SEQUENCED.notify()
                if numbered is None or numbered >= sequencer.BATCH:
                    due.append(now + timing.min_gap_s)  # skipped (head held) or more waiting
                if numbered is not None and self._events_since is None:
                    self._events_since = now  # their notice.created events
            else:
                due.append(self._numbered_at + timing.min_gap_s)
        if work.events and self._events_since is None:
            self._events_since = now
        overdue = (
            self._unsigned_since is not None
            and self.clock() - self._unsigned_since >= timing.checkpoint_every_s
        )
        if self._events_since is not None or overdue:
            merge_at = (
                now if self._events_since is None else self._events_since + timing.merge_every_s
            )
            if overdue or now >= merge_at:
                self._merge(now, overdue)
            else:
                due.append(merge_at)
        if self._events_since is not None:
            due.append(self._events_since + timing.merge_every_s)
        if self._unsigned_since is not None:
            left = self._unsigned_since + timing.checkpoint_every_s - self.clock()
            due.append(now + max(left, 0.0))
        return max(min(due) - now, 0.0) if due else None

    def _merge(self, now: float, overdue: bool) -> None:
        """Merge in chunks until the queue is empty, stopping early for waiting notices."""
        while True:
            result = sequencer.merge_pass(
                self.database,
                self.clock,
                self.signer,
                checkpoint_every_s=self.timing.checkpoint_every_s,
                force_checkpoint=overdue,
                limit=MERGE_CHUNK,
                known=self._frontier,
            )
            if result.skipped:  # another process holds the head: try again after a while
                self._events_since = now
                return
            if result.checkpoint is not None:
                self._unsigned_since = None
            elif result.events and self._unsigned_since is None:
                self._unsigned_since = self.clock()
            if overdue and result.checkpoint is None:
                self._unsigned_since = None  # another process signed it, or nothing to sign
            overdue = False
            if result.events < MERGE_CHUNK:
                self._events_since = None
                return
            if self._urgent.is_set() or self.stop_event.is_set():  # notices first
                self._events_since = now - self.timing.merge_every_s
                return

    def _escalate(self) -> None:
        while not self.stop_event.is_set():
            try:
                ladder.escalate_pass(self.database, self.clock, released=self.released)
            except Exception:  # logged; the next tick retries
                log.exception("channel ladder pass failed")
            self.stop_event.wait(self.timing.escalate_every_s)

    def start(self) -> None:
        dispatcher = Dispatcher(
            self.database, self.clock, self.timing.webhook, self.timing.poll_s, self.stop_event
        )
        for name, target in (
            ("sequencer", self._sequence),
            ("dispatcher", dispatcher.run),
            ("ladder", self._escalate),
        ):
            thread = threading.Thread(target=target, name=f"channel-{name}", daemon=True)
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

    def stop(self) -> None:
        self.stop_event.set()
        for wake in (wakeups.NOTICES, wakeups.QUEUED, wakeups.SEQUENCED, wakeups.USS):
            wake.notify()
        for thread in self.threads:
            thread.join(timeout=10)
