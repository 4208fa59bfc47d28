"""Pure domain logic for cebot: no I/O, no clock, no third-party imports."""
