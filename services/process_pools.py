"""Stopping the process pools (certificate rendering, evidence reading) when a server stops.

Called from the application's lifespan (web server, polling, console), not at interpreter
exit: a server stopped by SIGTERM must not leave its pool processes behind."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

# Seconds a job still running at shutdown may take before it is stopped: systemd's stop
# timeout is 90 s and a render may take 120 s. What is stopped loses nothing but that file (a
# certificate stays issued and is rendered on the next press; an upload is read again).
SHUTDOWN_GRACE = 10.0


async def stop_process_pools() -> None:
    from services.certificate_render import shutdown_renderer
    from services.evidence_reading import shutdown_reader
    from services.tabular import shutdown_file_worker

    for stop in (shutdown_renderer, shutdown_reader, shutdown_file_worker):
        try:
            # waits for the workers to exit: off the event loop
            await asyncio.to_thread(stop, SHUTDOWN_GRACE)
        except Exception as exc:  # one pool failing to stop must not keep the other running
            log.warning("stopping a process pool failed (%s)", type(exc).__name__)
