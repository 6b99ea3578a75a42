-- Accounts that were deleted (an invitation revoked before it was accepted), kept so that the
-- activity log's earlier rows about them still name them: only what the log shows. The log
-- names someone from here for events up to `deleted_at` (an id may be given again later).
CREATE TABLE former_accounts (
    user_id BIGINT PRIMARY KEY,
    email TEXT NOT NULL,
    email_canonical TEXT NOT NULL,
    display_name TEXT NOT NULL,
    deleted_at BIGINT NOT NULL
);
