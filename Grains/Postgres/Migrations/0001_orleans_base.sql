-- The query catalogue of the Orleans ADO.NET providers.
--
-- The providers (Microsoft.Orleans.Clustering.AdoNet, .Persistence.AdoNet, .Reminders.AdoNet) carry no SQL of their
-- own for PostgreSQL: at start each runs exactly
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- (persistence adds a WHERE on its keys) and then executes the text stored under each key, binding its values as
-- named parameters (@ServiceId, @GrainIdHash, ...). A provider refuses to start when one of its required keys is
-- missing. So this table is the contract between Orleans and our schema; 0002-0004 fill it, one provider each.
--
-- The names are written unquoted, so PostgreSQL folds them to orleansquery(querykey, querytext), which is what the
-- unquoted identifiers in the providers' own SELECT resolve to. Npgsql matches the result columns back to
-- "QueryKey"/"QueryText" case-insensitively.

CREATE TABLE OrleansQuery (
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
