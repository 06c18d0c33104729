"""The README keeps up with the code: every environment variable the settings read is in the
configuration table, every command of the product is in the CLI table, and every app is in the
Development tree."""

import re
from pathlib import Path

from django.apps import apps
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETTINGS = (ROOT / "src" / "reciprocity" / "settings.py").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_configuration_table_lists_every_variable_the_settings_read() -> None:
    read = set(
        re.findall(
            r'(?:environ(?:\.get)?\(|environ\[|env_bool\(|env_list\()\s*"([A-Z_]+)"', SETTINGS
        )
    )
    read |= set(re.findall(r'^\s+"([A-Z_]+)",\s*$', SETTINGS, flags=re.MULTILINE)) & {
        "EMAIL_BACKEND"
    }
    table = section("Configuration")
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert read, "the settings read no variable?"
    assert read - listed == set()


def test_the_cli_table_lists_every_command_of_the_product() -> None:
    product = {name for name, app in get_commands().items() if app.startswith("reciprocity.")}
    table = section("The command line")
    listed = set(re.findall(r"^\| `reciprocity ([a-z-]+)", table, flags=re.MULTILINE))
    assert product - listed == set()


def test_the_development_tree_names_every_app() -> None:
    tree = section("Development")
    ours = [
        config.name for config in apps.get_app_configs() if config.name.startswith("reciprocity.")
    ]
    missing = [name for name in ours if f"  {name.split('.')[-1]}/" not in tree]
    assert missing == []
