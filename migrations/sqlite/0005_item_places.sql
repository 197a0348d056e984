-- 0005_item_places.sql (SQLite) — item instances get a place and a version; item ledger rows.
-- Runs inside one transaction; no BEGIN/COMMIT here. Same as migrations/postgres/0005_*.
--
-- place: where the item is inside its owner's belongings: 'inv:N' (inventory slot N, from 0),
-- 'eq:SLOT' (equipment slot), 'escrow' (held by a pending exchange). version: starts at 1, +1 per
-- write; the server writes a row only when its stored version is the one it read. Uids (id) come
-- from the counter 'item_uid' (cw_store_ids_reserve), started here above every existing id.
-- From now on creating, moving between characters and destroying an item (or part of a stack)
-- writes ledger rows of kind 'item' (item_id, item_template, item_stack = the count moved; to:
-- gaining character, from: losing character) in the same transaction; `chaosctl audit` replays
-- them. Items that predate this get one 'opening balance' row each (to their owner).

ALTER TABLE item_instances ADD COLUMN place TEXT NOT NULL DEFAULT 'inv:0'
    CHECK (length(place) BETWEEN 1 AND 64);
ALTER TABLE item_instances ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Items that predate places: inventory slots 0, 1, … per owner, in id order.
UPDATE item_instances SET place = 'inv:' || (
    SELECT count(*) FROM item_instances o
    WHERE o.owner_character_id = item_instances.owner_character_id AND o.id < item_instances.id);

INSERT INTO ledger (to_character_id, kind, item_id, item_template, item_stack, reason)
SELECT i.owner_character_id, 'item', i.id, i.template, i.stack, 'opening balance'
FROM item_instances i
WHERE i.owner_character_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.item_id = i.id)
ORDER BY i.id;

CREATE INDEX ledger_item ON ledger (item_id);

INSERT INTO id_counters (name, last)
SELECT 'item_uid', COALESCE(max(id), 0) FROM item_instances;
