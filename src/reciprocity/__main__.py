"""The ``reciprocity`` command: Django's manage command plus the product's own commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    from django.core.management import execute_from_command_line

    from reciprocity.accounts.audit import set_audit_source

    set_audit_source("cli")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
