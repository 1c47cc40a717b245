"""Database layer: schema migrations (migrate, migration_files) and schema snapshots (schema_snapshot)."""
