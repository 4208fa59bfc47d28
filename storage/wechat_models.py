"""Tables of the WeChat channel (migrations 0008-0010). Imported at the end of storage.models
so that Base.metadata is complete wherever the models are used."""

from __future__ import annotations

from storage.models import Base, BigId  # noqa: F401

# --- screens: the numbered choices each WeChat user was last shown (migration 0008)

# --- access token: one per account, shared by every worker (migration 0009)

# --- customer-service window: what may still be sent to whom (migration 0010)
