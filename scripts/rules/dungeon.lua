-- Dungeon instance rules (scripts/dungeon/instance.lua asks these). Content
-- overrides any of them through require("rules"), like the other rules.
local rules = require("rules")

-- Seconds an instance stays up after its last player left it; then its
-- monsters and chests go and its zone is removed.
rules.dungeon_linger = 60

-- The pull: when a party's leader enters a dungeon, the other online members
-- standing in the same zone, alive and within this many units of the leader,
-- are moved into the instance with them. 0 turns it off (each member walks
-- in through the portal on its own).
rules.dungeon_pull_radius = 0
