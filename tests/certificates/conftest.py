"""Certificate-test fixtures: the demo province seeded, and the render pool stopped at the end.
Helpers are in helpers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.certificate_render import shutdown_renderer
from services.context import AppContext
from services.demo import seed_demo
from tests.certificates.helpers import LI_NA, LIU_YANG, ZHANG_WEI, Demo, person_id


@pytest.fixture(scope="session", autouse=True)
def _stop_render_pool() -> Iterator[None]:
    yield
    shutdown_renderer()


@pytest.fixture
async def demo(ctx: AppContext) -> Demo:
    await seed_demo(ctx)
    return Demo(
        li_na=await person_id(ctx, LI_NA),
        zhang_wei=await person_id(ctx, ZHANG_WEI),
        liu_yang=await person_id(ctx, LIU_YANG),
    )
