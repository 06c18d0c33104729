"""Whether this process can serve: for ``/ready/`` and for ``reciprocity serve`` to refuse to
start rather than answer every request with an error."""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

# The error itself goes to the log, not to whoever asks /ready/.
logger = logging.getLogger(__name__)

NO_DATABASE = "The database does not answer."
NOT_MIGRATED = (
    "{count} database migration(s) are not applied (first: {first}); "
    "run `reciprocity migrate` once per release."
)
NO_CACHE_TABLE = (
    "The cache table {table!r} is missing (sign-in throttling lives there); "
    "run `reciprocity migrate`."
)
NO_STATIC = (
    "The static files are not collected in {root}; "
    "run `reciprocity collectstatic --noinput` on this host."
)
STALE_STATIC = (
    "{count} static file(s) of this release are not collected in {root} (first: {first}); "
    "run `reciprocity collectstatic --noinput` on this host."
)


def _unapplied_migrations(using: str) -> list[str]:
    # A few milliseconds once the migration modules are imported: cheap enough for each check.
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _cache_tables(using: str) -> list[str]:
    return [
        options["LOCATION"]
        for options in settings.CACHES.values()
        if options["BACKEND"] == f"{DatabaseCache.__module__}.{DatabaseCache.__name__}"
    ]


def database_problem(using: str = "default") -> str | None:
    """None when the database answers, every migration is applied and the cache table
    exists; otherwise what is wrong."""
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        unapplied = _unapplied_migrations(using)
        tables = set(connection.introspection.table_names())
    except DatabaseError:
        logger.warning("Readiness check: the database does not answer.", exc_info=True)
        return NO_DATABASE
    if unapplied:
        return NOT_MIGRATED.format(count=len(unapplied), first=unapplied[0])
    for table in _cache_tables(using):
        if table not in tables:
            return NO_CACHE_TABLE.format(table=table)
    return None


def static_problem() -> str | None:
    """None when every static file of this release is in the collected manifest (or DEBUG
    serves them from the source); otherwise what is wrong."""
    if settings.DEBUG:
        return None
    root = Path(settings.STATIC_ROOT)
    manifest = root / "staticfiles.json"
    if not manifest.exists():
        return NO_STATIC.format(root=root)
    collected = set(json.loads(manifest.read_text()).get("paths", {}))
    # The same files collectstatic would copy.
    ignore = ["CVS", ".*", "*~"]
    wanted = sorted(
        {path for finder in get_finders() for path, _storage in finder.list(ignore)} - collected
    )
    if wanted:
        return STALE_STATIC.format(count=len(wanted), root=root, first=wanted[0])
    return None
