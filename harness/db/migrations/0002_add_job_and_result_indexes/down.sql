-- 0002 down: drops the indexes; rows are kept (queries get slower, nothing is lost).

DROP INDEX "Result_created_at_idx";

DROP INDEX "Result_job_id_idx";

DROP INDEX "Job_createdAt_idx";

DROP INDEX "Job_sessionId_idx";
