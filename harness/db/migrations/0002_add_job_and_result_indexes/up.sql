-- 0002 up: indexes for the query shapes the application runs.
--   "Job"("sessionId")   WHERE "sessionId" = $1                (jobs of a session)
--   "Job"("createdAt")   ORDER BY "createdAt" DESC LIMIT 20    (latest jobs)
--   "Result"(job_id)     WHERE job_id = $1; also covers the foreign key (cascade deletes)
--   "Result"(created_at) WHERE created_at >= $1                (recent results, retention)
-- Plain CREATE INDEX: the runner wraps each migration in a transaction, where CONCURRENTLY is not allowed.

CREATE INDEX "Job_sessionId_idx" ON "Job" ("sessionId");

CREATE INDEX "Job_createdAt_idx" ON "Job" ("createdAt");

CREATE INDEX "Result_job_id_idx" ON "Result" (job_id);

CREATE INDEX "Result_created_at_idx" ON "Result" (created_at);
