"""`python -m cebot` is the `cebot` command."""

from cebot.cli import main

main()
