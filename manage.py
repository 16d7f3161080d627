#!/usr/bin/env python
"""Django's command-line utility."""

import sys

from django.core.management import execute_from_command_line

from config.entrypoint import require_settings_module


def main() -> None:
    require_settings_module()  # exits with a message when it is not set
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
