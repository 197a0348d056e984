-- 0002_ledger_opening_balance.sql (SQLite) — opening ledger rows for value that predates the ledger.
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/postgres/0002_*.
--
-- From now on every change of a character's "gold" and "exp" (document members) is written with
-- ledger rows in the same transaction, and `chaosctl audit` checks that the document equals the
-- net sum of the rows (rows to the character minus rows from it). Gold and exp from before the
-- ledger covered them (exp from kills was never in it) get one row each here, kind "gold" or
-- "exp", reason 'opening balance', for the difference, so that the audit starts from agreement.
-- Members that are not integers are left alone (the audit reports them).

INSERT INTO ledger (to_character_id, kind, amount, reason)
SELECT id, kind, amount, 'opening balance' FROM (
    SELECT c.id AS id, k.kind AS kind,
           json_extract(c.doc, '$.' || k.kind)
           - COALESCE((SELECT sum(l.amount) FROM ledger l
                       WHERE l.to_character_id = c.id AND l.kind = k.kind), 0)
           + COALESCE((SELECT sum(l.amount) FROM ledger l
                       WHERE l.from_character_id = c.id AND l.kind = k.kind), 0) AS amount
    FROM characters c CROSS JOIN (SELECT 'gold' AS kind UNION ALL SELECT 'exp' AS kind) AS k
    WHERE json_type(c.doc, '$.' || k.kind) = 'integer'
) AS opening
WHERE amount <> 0
ORDER BY id, kind;
