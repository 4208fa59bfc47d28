"""The bot's features as plug-ins: each module declares its flows, its menu actions ("m:<action>"
buttons and the commands that open them) and any other callback prefix it owns. The router
dispatches by these tables, so a feature is added without touching the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot.flows.base import Flow, Turn

# An action opens a screen: (turn, arguments typed after the command, "" for a button)
ActionFn = Callable[[Turn, str], Awaitable[None]]
# A callback route: (turn, the callback data after "<prefix>:")
CallbackFn = Callable[[Turn, str], Awaitable[None]]


@dataclass(frozen=True)
class Feature:
    name: str
    flows: tuple[Flow, ...] = ()
    actions: Mapping[str, ActionFn] = field(default_factory=dict)
    commands: Mapping[str, str] = field(default_factory=dict)  # "exam" -> action
    callbacks: Mapping[str, CallbackFn] = field(default_factory=dict)  # "rv" -> route


REGISTRY: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    if feature.name in REGISTRY:
        raise ValueError(f"feature {feature.name} registered twice")
    taken = {a for f in REGISTRY.values() for a in f.actions}
    if clash := taken & set(feature.actions):
        raise ValueError(f"actions registered twice: {sorted(clash)}")
    REGISTRY[feature.name] = feature
    return feature


def actions() -> dict[str, ActionFn]:
    return {name: fn for f in REGISTRY.values() for name, fn in f.actions.items()}


def commands() -> dict[str, str]:
    return {name: action for f in REGISTRY.values() for name, action in f.commands.items()}


def callbacks() -> dict[str, CallbackFn]:
    return {prefix: fn for f in REGISTRY.values() for prefix, fn in f.callbacks.items()}


def flows() -> dict[str, Flow]:
    return {flow.name: flow for f in REGISTRY.values() for flow in f.flows}
