"""docgen's tasks on the queue (``docgen.queue``): the steps of a batch.

Each task calls the batch service (``docgen.services.batch``) and is safe
to run twice: a step finds in the database what was done already. A batch's
runs of papers are separate tasks, so the workers of every machine convert
them side by side; the run that converts the last paper builds the packet.
Escalation runs and reports are batches too and go through the same steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from huey import Huey

from docgen.services import batch as batches
from docgen.services.office import Office

log = logging.getLogger(__name__)


@dataclass
class Tasks:
    """The task functions registered on one Huey instance: calling one queues it."""

    start_batch: Any
    convert_run: Any


def register(huey: Huey, office: Office) -> Tasks:
    """Register docgen's tasks on ``huey``; they work with ``office`` when a consumer runs them."""

    @huey.task(name="batch.start")
    def start_batch(batch_id: str) -> None:
        try:
            todo = batches.start_batch(office, batch_id)
            for run in todo[1:]:  # the other workers take these; this one converts the first
                convert_run(batch_id, run)
            if todo:
                _convert(batch_id, todo[0])
            elif batches.is_converted(office, batch_id):
                batches.finish_batch(office, batch_id)
        except Exception as exc:
            batches.fail_batch(office, batch_id, exc)

    @huey.task(name="batch.convert")
    def convert_run(batch_id: str, positions: list[int]) -> None:
        try:
            _convert(batch_id, positions)
        except Exception as exc:
            batches.fail_batch(office, batch_id, exc)

    def _convert(batch_id: str, positions: list[int]) -> None:
        if batches.convert_run(office, batch_id, positions):
            batches.finish_batch(office, batch_id)

    return Tasks(start_batch=start_batch, convert_run=convert_run)
