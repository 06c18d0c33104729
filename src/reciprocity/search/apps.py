from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "reciprocity.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from reciprocity.search.fulltext import ensure_full_text

        # SQLite rebuilds a table to alter it, which drops the triggers that keep its FTS5 index
        # in step: after every migrate they are put back and the index rebuilt.
        post_migrate.connect(ensure_full_text, sender=self, dispatch_uid="search_full_text")
