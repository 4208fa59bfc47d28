"""Operations endpoints served by every web process: liveness (/healthz), readiness (/readyz:
the database answers and is at or past the code's migration level) and Prometheus metrics
(/metrics)."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.context import AppContext
from services.metrics import OUTBOX_DEPTH, REGISTRY
from storage import migrate
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
READY_TIMEOUT = 3.0


async def readiness(ctx: AppContext) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(READY_TIMEOUT), ctx.db.transaction() as session:
            await session.execute(text("SELECT 1"))
            current = await session.scalar(text("SELECT version_num FROM alembic_version"))
        checks["database"] = "ok"
        # at or past: during a rolling upgrade the database is migrated before the workers
        checks["migration"] = (
            "ok"
            if migrate.at_or_past_head(current)
            else f"at {current}, code needs {migrate.head_revision()}"
        )
    except Exception as exc:  # any failure means "not ready"; the reason without details
        log.warning("readiness: database check failed (%s)", type(exc).__name__)
        checks["database"] = f"unreachable ({type(exc).__name__})"
    return all(v == "ok" for v in checks.values()), checks


def ops_routes(ctx: AppContext) -> list[Route]:
    migrate.head_revision()  # read the migration files now, once, not on the first probe
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        ok, checks = await readiness(ctx)
        return JSONResponse({"ready": ok, **checks}, status_code=200 if ok else 503)

    async def metrics(_request: Request) -> Response:
        try:
            async with asyncio.timeout(READY_TIMEOUT), ctx.db.transaction() as session:
                depth = await session.scalar(
                    select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "queued")
                )
            OUTBOX_DEPTH.set(depth or 0)
        except Exception as exc:
            log.warning("metrics: outbox depth unavailable (%s)", type(exc).__name__)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
