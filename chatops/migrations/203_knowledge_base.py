"""Peewee migrations -- 203_knowledge_base.py: knowledge-base articles with the database's own full-text
search, full-text search over tickets (the "tickets like this one" typing), and why a ticket got its type.

SQLite: FTS5 tables (porter stemming) kept in step with ``kb_article`` and ``ticket`` by triggers.
PostgreSQL: a stored generated ``tsvector`` column (``search_doc``) on each table with a GIN index, so ``@@``
with ``websearch_to_tsquery`` is an index scan and ranking reads the stored vector (computing it per row
from an expression index made a 5,000-ticket "tickets like this one" query take 120 ms instead of a few).
The models do not name the column: only chatops/support/search.py reads it.
"""

import peewee as pw
from peewee_migrate import Migrator

ARTICLE_DOC = "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', tags), 'B') || setweight(to_tsvector('english', body), 'C')"
TICKET_DOC = "to_tsvector('english', coalesce(summary, '') || ' ' || coalesce(details, ''))"


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class Article(pw.Model):
        id = pw.AutoField()
        title = pw.CharField(max_length=200)
        body = pw.TextField()
        tags = pw.CharField(default='', max_length=300)
        ticket_types = pw.CharField(default='', max_length=300)
        tiers = pw.CharField(default='', max_length=200)
        published = pw.BooleanField(default=True)
        source_ticket = pw.ForeignKeyField(column_name='source_ticket_id', field='id', model=migrator.orm['ticket'], null=True, on_delete='SET NULL')
        author = pw.CharField(default='', max_length=200)
        answered = pw.IntegerField(default=0)
        not_answered = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "kb_article"

    migrator.add_fields('ticket', typed_why=pw.CharField(default='', max_length=200))

    if isinstance(database, pw.SqliteDatabase):
        migrator.sql("CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, tags, body, content='kb_article', "
                     "content_rowid='id', tokenize='porter unicode61')")
        migrator.sql("CREATE TRIGGER kb_article_ai AFTER INSERT ON kb_article BEGIN INSERT INTO kb_article_fts"
                     "(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body); END")
        migrator.sql("CREATE TRIGGER kb_article_ad AFTER DELETE ON kb_article BEGIN INSERT INTO kb_article_fts"
                     "(kb_article_fts, rowid, title, tags, body) VALUES ('delete', old.id, old.title, old.tags, old.body); END")
        migrator.sql("CREATE TRIGGER kb_article_au AFTER UPDATE ON kb_article BEGIN INSERT INTO kb_article_fts"
                     "(kb_article_fts, rowid, title, tags, body) VALUES ('delete', old.id, old.title, old.tags, old.body); "
                     "INSERT INTO kb_article_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body); END")
        migrator.sql("CREATE VIRTUAL TABLE ticket_fts USING fts5(summary, details, content='ticket', "
                     "content_rowid='id', tokenize='porter unicode61')")
        migrator.sql("INSERT INTO ticket_fts(rowid, summary, details) SELECT id, summary, details FROM ticket")
        migrator.sql("CREATE TRIGGER ticket_fts_ai AFTER INSERT ON ticket BEGIN INSERT INTO ticket_fts"
                     "(rowid, summary, details) VALUES (new.id, new.summary, new.details); END")
        migrator.sql("CREATE TRIGGER ticket_fts_ad AFTER DELETE ON ticket BEGIN INSERT INTO ticket_fts"
                     "(ticket_fts, rowid, summary, details) VALUES ('delete', old.id, old.summary, old.details); END")
        migrator.sql("CREATE TRIGGER ticket_fts_au AFTER UPDATE OF summary, details ON ticket WHEN old.summary IS NOT new.summary "
                     "OR old.details IS NOT new.details BEGIN INSERT INTO ticket_fts"
                     "(ticket_fts, rowid, summary, details) VALUES ('delete', old.id, old.summary, old.details); "
                     "INSERT INTO ticket_fts(rowid, summary, details) VALUES (new.id, new.summary, new.details); END")
    else:
        migrator.sql(f"ALTER TABLE kb_article ADD COLUMN search_doc tsvector GENERATED ALWAYS AS ({ARTICLE_DOC}) STORED")
        migrator.sql("CREATE INDEX kb_article_search ON kb_article USING GIN (search_doc)")
        migrator.sql(f"ALTER TABLE ticket ADD COLUMN search_doc tsvector GENERATED ALWAYS AS ({TICKET_DOC}) STORED")
        migrator.sql("CREATE INDEX ticket_search ON ticket USING GIN (search_doc)")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    if isinstance(database, pw.SqliteDatabase):
        for name in ("kb_article_ai", "kb_article_ad", "kb_article_au", "ticket_fts_ai", "ticket_fts_ad", "ticket_fts_au"):
            migrator.sql(f"DROP TRIGGER IF EXISTS {name}")
        migrator.sql("DROP TABLE IF EXISTS kb_article_fts")
        migrator.sql("DROP TABLE IF EXISTS ticket_fts")
    else:
        migrator.sql("DROP INDEX IF EXISTS ticket_search")
        migrator.sql("ALTER TABLE ticket DROP COLUMN IF EXISTS search_doc")
    migrator.remove_fields('ticket', 'typed_why')
    migrator.remove_model('kb_article')
