-- Usernames compare case-insensitively (SPEC §10): `Admin` and `admin` are one account, for login,
-- lockout and uniqueness. Accounts that already differ only by case keep working: the oldest keeps
-- its name, each later one becomes `<name>-<first 8 characters of its id>` (still a valid
-- username), which its owner then logs in with. docs/SECURITY.md tells operators how to find them.
UPDATE users AS u
SET username = left(u.username, 90) || '-' || left(u.id::text, 8),
    updated_at = CURRENT_TIMESTAMP
FROM (
    SELECT id, row_number() OVER (PARTITION BY lower(username) ORDER BY created_at, id) AS n
    FROM users
) AS d
WHERE d.id = u.id AND d.n > 1;

CREATE UNIQUE INDEX idx_users_username_lower ON users (lower(username));
