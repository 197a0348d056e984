-- Dungeon instance rules (scripts/dungeon/instance.lua asks these). Content
-- overrides any of them through require("rules"), like the other rules.
local rules = require("rules")

-- Seconds an instance stays up after its last player left it; then its
-- monsters and chests go and its zone is removed.
rules.dungeon_linger = 60
