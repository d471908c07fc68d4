"""search: the indexes that find any case (issue 15, build item 1) on
PostgreSQL — its number by its last digits (the number read backwards), the
reporter's phone by its digits, and words of the description, the address
and the history notes by trigram (pg_trgm). SQLite reads its few cases
without them.

Revision ID: 0017_search
Revises: 0016_urge
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op


revision = '0017_search'
down_revision = "0016_urge"
branch_labels = None
depends_on = None

# (name, table, definition) — the same as in the models (cases/models.py).
INDEXES = (
    ("ix_case_file_number_reversed", "case_file", "(reverse(number) text_pattern_ops)"),
    (
        "ix_case_file_contact_digits",
        "case_file",
        "USING gin (regexp_replace(reporter_contact, '[^0-9]', '', 'g') gin_trgm_ops) "
        "WHERE reporter_contact IS NOT NULL",
    ),
    ("ix_case_file_description_trgm", "case_file", "USING gin (description gin_trgm_ops)"),
    ("ix_case_file_address_trgm", "case_file", "USING gin (address gin_trgm_ops)"),
    ("ix_case_event_note_trgm", "case_event", "USING gin (note gin_trgm_ops) WHERE note <> ''"),
    # The notes written since a moment (a search among the newest cases first).
    ("ix_case_event_noted_at", "case_event", "(at) WHERE note <> ''"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the
    # database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
