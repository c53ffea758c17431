"""PostgreSQL connections: which statements the server keeps prepared.

A statement kept prepared is parsed once per connection, and once PostgreSQL finds that one plan serves every
run (after five), planned once too. For the few statements of a surge's hot path (signing, a link's lookup,
confirming), planning cost more of the server's CPU than running them: a signature's statement took 420 µs of
PostgreSQL's CPU planned for each run and 250 µs kept prepared. Every other statement, the ORM's and the staff
pages' filters among them, is planned for each run's own values: a plan made once for any value would serve a
filter on a rare email domain as it serves gmail.com. So a connection prepares only the statements marked here,
once it has run one DATABASE_PREPARE_THRESHOLD times (config.settings; 0 turns preparing off, for a pooler that
cannot keep prepared statements). One exception: psycopg always prepares what executemany runs (only the visit
counts' upsert, by its unique key, runs through it): a statement that filters should not.
"""

from typing import Any

from django.db.backends.postgresql.base import ServerBindingCursor

_kept: set[str] = set()


def keep_prepared(sql: str) -> str:
    """Mark a hot path's statement (its SQL, parameters apart) to be kept prepared; returns it."""
    _kept.add(sql)
    return sql


class Cursor(ServerBindingCursor):
    """Django's cursor for server-side binding, preparing only the statements marked by `keep_prepared`."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if prepare is None and not (isinstance(query, str) and query in _kept):
            prepare = False  # planned for this run's values, and not kept
        # A psycopg Cursor, which django-stubs does not say: their ServerBindingCursor has only Django's callproc.
        return super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[misc]
