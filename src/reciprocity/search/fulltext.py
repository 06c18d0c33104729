"""The database's own full-text search, one class per database.

PostgreSQL matches ``to_tsvector('simple', …)`` of the searched columns against a prefix
``tsquery`` and ranks with ``ts_rank``; a GIN expression index over the very same expression
keeps it fast. SQLite matches an FTS5 table per searched table (external content: the index
holds no copy of the text), kept in step by triggers and ranked with ``bm25``.

The searched tables and their columns are listed once, in ``INDEXED``; the indexes, the triggers
and the queries are all made from that list.
"""

# Table and column names come from INDEXED, never from input; the query text is always a
# parameter, and only words made of letters and digits ever reach it (terms_of).
# ruff: noqa: S608, S611

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import F, FloatField, Model, QuerySet
from django.db.models.expressions import RawSQL

# The longest query looked at, in words: more only narrows a search that found nothing already.
MAX_TERMS = 8
# "simple": no stemming and no stop words, so names, emails and phone numbers match as typed.
CONFIG = "simple"


@dataclass(frozen=True)
class Indexed:
    app_label: str
    model_name: str
    columns: tuple[str, ...]

    @property
    def model(self) -> type[Model]:
        from django.apps import apps

        return apps.get_model(self.app_label, self.model_name)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def index_name(self) -> str:
        return f"{self.model_name.lower()}_fulltext"


INDEXED = {
    "partner": Indexed(
        "partners",
        "Partner",
        ("name", "organization", "email", "phone", "notes", "specialties", "niche"),
    ),
    "touch": Indexed("partners", "Touch", ("summary",)),
    "referral": Indexed("referrals", "Referral", ("need", "notes", "client_name")),
}


def terms_of(text: str) -> list[str]:
    """The words of a query: runs of letters and digits ("hannah@" is "hannah", "617-555" is
    "617" and "555"), at most MAX_TERMS. Nothing else reaches the database's query syntax."""
    return re.findall(r"\w+", text.lower())[:MAX_TERMS]


class FullText:
    vendor: ClassVar[str]

    def match(self, qs: QuerySet[Any], indexed: Indexed, terms: list[str]) -> QuerySet[Any]:
        """``qs`` narrowed to rows matching every term as a word prefix, annotated ``rank``."""
        raise NotImplementedError

    def install(self, indexed: Indexed, schema_editor: Any) -> None:
        raise NotImplementedError


class PostgresFullText(FullText):
    vendor = "postgresql"

    @staticmethod
    def vector(indexed: Indexed) -> SearchVector:
        return SearchVector(*indexed.columns, config=CONFIG)

    def match(self, qs: QuerySet[Any], indexed: Indexed, terms: list[str]) -> QuerySet[Any]:
        # The parser keeps a phone number's hyphen with the digits after it ("617-555" is
        # '617' and '-555'): a term of digits also matches the hyphenated form.
        parts = [
            f"('{term}':* | '-{term}':*)" if term.isdigit() else f"'{term}':*" for term in terms
        ]
        query = SearchQuery(" & ".join(parts), config=CONFIG, search_type="raw")
        return (
            qs.annotate(document=self.vector(indexed))
            .filter(document=query)
            .annotate(rank=SearchRank(F("document"), query))
        )

    def install(self, indexed: Indexed, schema_editor: Any) -> None:
        index = GinIndex(self.vector(indexed), name=indexed.index_name)
        sql = str(index.create_sql(indexed.model, schema_editor))
        schema_editor.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))


class SqliteFullText(FullText):
    vendor = "sqlite"

    def match(self, qs: QuerySet[Any], indexed: Indexed, terms: list[str]) -> QuerySet[Any]:
        fts = f"{indexed.table}_fts"
        expression = " ".join(f'"{term}"*' for term in terms)
        return qs.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [expression])
        ).annotate(
            # bm25 is lower for better matches.
            rank=RawSQL(
                f"SELECT -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s "
                f'AND rowid = "{indexed.table}"."id"',
                [expression],
                output_field=FloatField(),
            )
        )

    def install(self, indexed: Indexed, schema_editor: Any) -> None:
        table, fts, columns = indexed.table, f"{indexed.table}_fts", indexed.columns
        names = ", ".join(columns)
        new = ", ".join(f"new.{column}" for column in columns)
        old = ", ".join(f"old.{column}" for column in columns)
        delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
        insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
        for statement in (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names}, content='{table}', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE ON {table} "
            f"BEGIN {delete} {insert} END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ):
            schema_editor.execute(statement)


BACKENDS: dict[str, FullText] = {
    backend.vendor: backend for backend in (PostgresFullText(), SqliteFullText())
}


def full_text(using: str = "default") -> FullText:
    return BACKENDS[connections[using].vendor]


def install_full_text(schema_editor: Any) -> None:
    """Create what the search needs where it is missing. Safe to run again."""
    connection = schema_editor.connection
    backend = BACKENDS.get(connection.vendor)
    if backend is None:
        return
    tables = set(connection.introspection.table_names())
    for indexed in INDEXED.values():
        if indexed.table in tables:
            backend.install(indexed, schema_editor)


def ensure_full_text(using: str = "default", **_kwargs: Any) -> None:
    """After every migrate (see apps.py)."""
    with connections[using].schema_editor() as schema_editor:
        install_full_text(schema_editor)
