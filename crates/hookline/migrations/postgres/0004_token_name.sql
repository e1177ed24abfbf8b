-- Admin tokens carry a name (`hookline token create --name ci`); the first-start token
-- and app-portal tokens have none.
ALTER TABLE token ADD COLUMN name TEXT;
