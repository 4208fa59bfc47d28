"""Channel-neutral workflows: events in, replies out, state in the database."""

from bot.flows.base import Button, ChannelUser, Event, IncomingFile, Outcome, Reply
from bot.flows.engine import Engine

__all__ = ["Button", "ChannelUser", "Engine", "Event", "IncomingFile", "Outcome", "Reply"]
