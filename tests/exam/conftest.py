"""Fixtures for the public-subject tests: a database with the 2024 demo course and bank."""

from __future__ import annotations

import pytest

from services.context import AppContext
from services.question_bank import seed_demo_content


@pytest.fixture
async def seeded(ctx: AppContext) -> AppContext:
    await seed_demo_content(ctx)
    return ctx
