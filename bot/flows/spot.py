"""Placeholder: this feature's screens are being built (see the module docstring once done)."""

from __future__ import annotations

from bot.flows.features import Feature, register

FEATURE = register(Feature(name="spot"))
