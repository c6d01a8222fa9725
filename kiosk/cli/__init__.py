"""The command line (``clinic-kiosk …``): the parser and the general commands in commands.py and one module per group of
sub-commands. Nothing below the command line imports from here."""

from kiosk.cli.commands import main

__all__ = ["main"]
