-- Demo dungeon templates (dungeon{} of scripts/content/dungeon_defs.lua).
local defs = require("content.defs")

defs.dungeon{
  id = "wolf_den", name = "Wolf Den",
  size = { 40, 24 }, rooms = { 4, 7 }, difficulty = 3,
  monsters = { "wolf" }, boss = "den_leader",
  chests = { "healing_potion", "iron_sword" },
}

-- The pull (scripts/rules/dungeon.lua): a party leader walking into a dungeon
-- portal takes the members standing within 30 units along.
require("rules").dungeon_pull_radius = 30
