from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_full_text(**kwargs: Any) -> None:
    # Imported on use: the PostgreSQL search classes load psycopg, which no CLI start-up needs.
    from reciprocity.search.fulltext import ensure_full_text

    ensure_full_text(**kwargs)


class SearchConfig(AppConfig):
    name = "reciprocity.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # SQLite rebuilds a table to alter it, which drops the triggers that keep its FTS5 index
        # in step: after every migrate they are put back and the index rebuilt.
        post_migrate.connect(_ensure_full_text, sender=self, dispatch_uid="search_full_text")
