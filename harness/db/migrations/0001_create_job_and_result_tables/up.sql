-- 0001 up: the Job and Result tables and their enum types (Sprint 1.2 Prisma schema, hand-written SQL).
-- Naming (see docs/dbschema.md): Prisma model and field names are quoted as Prisma writes them;
-- Job fields are unmapped camelCase ("sessionId", "createdAt"), Result's relation and timestamp
-- fields are @map-ped to snake_case (job_id, created_at) as the plan's index criterion names them;
-- enum types are @@map-ped to snake_case (job_status, result_format).

CREATE TYPE job_status AS ENUM ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED');

CREATE TYPE result_format AS ENUM ('MARKDOWN', 'JSON', 'HTML');

CREATE TABLE "Job" (
    id             uuid          NOT NULL DEFAULT gen_random_uuid(),
    "sessionId"    text          NOT NULL,
    "fileName"     text          NOT NULL,
    "fileType"     text          NOT NULL,
    "fileSize"     integer       NOT NULL,
    status         job_status    NOT NULL DEFAULT 'PENDING',
    "errorMessage" text,
    "retryCount"   integer       NOT NULL DEFAULT 0,
    "createdAt"    timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Prisma's @updatedAt is set by the client on every update; the default covers inserts.
    "updatedAt"    timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Job_pkey" PRIMARY KEY (id),
    CONSTRAINT "Job_fileSize_check" CHECK ("fileSize" >= 0),
    CONSTRAINT "Job_retryCount_check" CHECK ("retryCount" >= 0)
);

CREATE TABLE "Result" (
    id         uuid          NOT NULL DEFAULT gen_random_uuid(),
    job_id     uuid          NOT NULL,
    format     result_format NOT NULL DEFAULT 'MARKDOWN',
    content    text          NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Result_pkey" PRIMARY KEY (id),
    CONSTRAINT "Result_job_id_fkey" FOREIGN KEY (job_id) REFERENCES "Job"(id) ON DELETE CASCADE ON UPDATE CASCADE
);
