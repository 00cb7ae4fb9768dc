"""The party-name trigram index in the portal's date order (SQLite): an FTS5 table whose rowid is
julian day × 2⁴⁰ + id, so a name's matches come newest first from the index itself and a page of a
common part of a name ("化工有限") stops after its twenty rows instead of sorting every match
(bench/portal.py; README "Performance"). Kept by triggers like publicity_search (0003), which still
serves the 文书号. PostgreSQL keeps its pg_trgm indexes.
"""

from django.db import migrations

KEY = "CAST(julianday({row}.decided_on) AS INTEGER) * 1099511627776 + {row}.id"
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE publicity_party_search USING fts5(party_public, tokenize='trigram')",
    "CREATE TRIGGER publicity_party_search_insert AFTER INSERT ON publicity_publication BEGIN "
    f"INSERT INTO publicity_party_search(rowid, party_public) VALUES ({KEY.format(row='new')}, new.party_public); END",
    "CREATE TRIGGER publicity_party_search_delete AFTER DELETE ON publicity_publication BEGIN "
    f"DELETE FROM publicity_party_search WHERE rowid = {KEY.format(row='old')}; END",
    "CREATE TRIGGER publicity_party_search_update AFTER UPDATE OF party_public, decided_on, id "
    "ON publicity_publication BEGIN "
    f"DELETE FROM publicity_party_search WHERE rowid = {KEY.format(row='old')}; "
    f"INSERT INTO publicity_party_search(rowid, party_public) VALUES ({KEY.format(row='new')}, new.party_public); END",
    "INSERT INTO publicity_party_search(rowid, party_public) "
    f"SELECT {KEY.format(row='publicity_publication')}, party_public FROM publicity_publication",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS publicity_party_search_insert",
    "DROP TRIGGER IF EXISTS publicity_party_search_delete",
    "DROP TRIGGER IF EXISTS publicity_party_search_update",
    "DROP TABLE IF EXISTS publicity_party_search",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("publicity", "0003_search_any_part")]

    operations = [migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD))]
