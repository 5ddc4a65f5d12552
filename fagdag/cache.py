"""Django's database cache with an atomic ``incr``, the default cache of fagdag.

The rate limits (``fagdag.ratelimit``, through django-ratelimit) count requests
with ``cache.add`` and ``cache.incr``. Django's ``DatabaseCache.incr`` reads the
value and writes it back in two statements, so two requests at once can both
read 4 and both write 5: a flood would be counted short. Measured with
``tests/test_ratelimit.py::test_the_database_cache_counts_every_increment_of_racing_workers``
(8 workers, 200 increments) against Django's own backend on 2026-12-01: it
counted 54 on SQLite and 26 on PostgreSQL, so a flood from eight connections
at once would pass a limit about four to eight times over. Here ``incr`` reads
and writes in one transaction that holds the row: ``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the transaction takes the database's write lock when it
begins (fagdag's settings use ``transaction_mode = "IMMEDIATE"``). ``add`` is
atomic already: two inserts of one key meet the table's primary key and one of
them reports that the key exists. ``add`` is rewritten too: Django's inserts
and lets the primary key refuse an existing entry, which PostgreSQL logs as an
error for every request counted after the first in each window; here one
``INSERT ... ON CONFLICT DO NOTHING`` does it quietly, and expired entries are
swept now and then instead of counting the table on every write.

With ``REDIS_URL`` set, Django's ``RedisCache`` is used instead; its ``incr``
is Redis's own atomic INCR.
"""

import base64
import datetime
import pickle
import random

from django.conf import settings
from django.core.cache.backends import db
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now

SWEEP_CHANCE = 0.01  # of an add: delete the expired entries first


class DatabaseCache(db.DatabaseCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Store the value unless a live entry holds the key; whether it was stored."""
        cache_key = self.make_and_validate_key(key, version=version)
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        if connection.vendor not in {"postgresql", "sqlite"}:
            return super().add(key, value, timeout, version)
        quote_name = connection.ops.quote_name
        table = quote_name(self._table)
        timeout = self.get_backend_timeout(timeout)
        tz = datetime.UTC if settings.USE_TZ else None
        expires = (
            datetime.datetime.max
            if timeout is None
            else datetime.datetime.fromtimestamp(timeout, tz=tz)
        ).replace(microsecond=0)
        now = tz_now().replace(microsecond=0, tzinfo=None)
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        key_column, value_column = quote_name("cache_key"), quote_name("value")
        expires_column = quote_name("expires")
        with transaction.atomic(using=database), connection.cursor() as cursor:
            if random.random() < SWEEP_CHANCE:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {expires_column} < %s",  # noqa: S608
                    [connection.ops.adapt_datetimefield_value(now)],
                )
            cursor.execute(
                f"UPDATE {table} SET {value_column} = %s, {expires_column} = %s "  # noqa: S608
                f"WHERE {key_column} = %s AND {expires_column} < %s",
                [
                    encoded,
                    connection.ops.adapt_datetimefield_value(expires),
                    cache_key,
                    connection.ops.adapt_datetimefield_value(now),
                ],
            )
            if cursor.rowcount == 1:
                return True
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, {value_column}, {expires_column}) "  # noqa: S608
                f"VALUES (%s, %s, %s) ON CONFLICT ({key_column}) DO NOTHING",
                [cache_key, encoded, connection.ops.adapt_datetimefield_value(expires)],
            )
            return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        """Add ``delta`` to the value under ``key`` and return it; ValueError if there is none."""
        cache_key = self.make_and_validate_key(key, version=version)
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        quote_name = connection.ops.quote_name
        table = quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = tz_now().replace(microsecond=0, tzinfo=None)
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')} FROM {table} "  # noqa: S608 (quoted names, no input)
                f"WHERE {quote_name('cache_key')} = %s AND {quote_name('expires')} > %s{lock}",
                [cache_key, connection.ops.adapt_datetimefield_value(now)],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode()))  # noqa: S301 (our own rows)
            value += delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote_name('value')} = %s "  # noqa: S608 (quoted names, no input)
                f"WHERE {quote_name('cache_key')} = %s",
                [encoded, cache_key],
            )
        return value
