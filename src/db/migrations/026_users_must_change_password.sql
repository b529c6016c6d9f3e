-- A real "admin password is not the initial one" check (issue #9 item 18): the first admin created
-- with a generated password carries this flag until its password is changed, and the compliance
-- report fails while any active admin still has it. Existing users start without it.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
