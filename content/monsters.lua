-- Demo monsters (monster{} of scripts/content/defs.lua); zones place them
-- with `spawns`.
local defs = require("content.defs")

defs.monster{
  id = "wolf", name = "Grey Wolf",
  stats = { hp_max = 60, power = 4, defense = 2, accuracy = 50, evasion = 10, move_speed = 8 },
  skills = { "bite" },
  respawn = 30, aggro = 12, leash = 40,
  exp = 25, gold = { min = 1, max = 5 },
  -- One pick per kill: usually nothing, a potion often, the sword rarely
  -- (rolled at the wolf's level: a rarity and affixes).
  level = 3,
  loot = { { item = "healing_potion", weight = 60, chance = 0.8, count = { 1, 2 } },
           { item = "iron_sword", weight = 5, chance = 0.5 },
           { item = "apprentice_robe", weight = 5, chance = 0.5 } },
  loot_rolls = 1,
}

-- The Wolf Den's boss (content/dungeons.lua): one per instance, no respawn
-- there. Its own name lets a player tell it from the den's wolves.
defs.monster{
  id = "den_leader", name = "Den Leader",
  stats = { hp_max = 240, power = 9, defense = 5, accuracy = 60, evasion = 10, move_speed = 8 },
  skills = { "bite" },
  respawn = 30, aggro = 12, leash = 40,
  exp = 120, gold = { min = 10, max = 20 },
  level = 5,
  loot = { { item = "healing_potion", weight = 1, chance = 1, count = { 1, 2 } } },
  loot_rolls = 1,
}
