"""cebot: entry points (command line, settings) that wire the layers together."""
