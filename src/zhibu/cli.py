"""The `zhibu` console script: Django management with a few friendly defaults.

zhibu migrate | zhibu demo | zhibu serve [addr:port] | zhibu <any manage.py command>
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["zhibu", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
