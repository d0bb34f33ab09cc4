"""The Huey consumer, in-process for `chatops run` (the embedded default) or on its own (`chatops worker`).

    handle = start_in_process(app)     # threads; handle.stop() on shutdown
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("chatops.support.worker")


@dataclass
class InProcessWorker:
    consumer: object

    def stop(self) -> None:
        self.consumer.stop(graceful=True)


def start_in_process(app, workers: int = 2) -> InProcessWorker:
    from chatops.support.tasks import huey

    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
    consumer.start()
    log.info("huey consumer running in-process (%d thread(s))", workers)
    return InProcessWorker(consumer)
