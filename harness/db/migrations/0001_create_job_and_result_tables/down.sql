-- 0001 down: drops the tables AND the enum types (dropping a table leaves its enum types behind).
-- Destroys every Job and Result row: back up first (docs/runbooks/migration-rollback.md).

DROP TABLE "Result";

DROP TABLE "Job";

DROP TYPE result_format;

DROP TYPE job_status;
