-- Demo monsters (monster{} of scripts/content/defs.lua); zones place them
-- with `spawns`.
local defs = require("content.defs")

defs.monster{
  id = "wolf", name = "Grey Wolf",
  stats = { hp_max = 60, power = 4, defense = 2, accuracy = 50, evasion = 10, move_speed = 8 },
  skills = { "bite" },
  respawn = 30, aggro = 12, leash = 40,
  exp = 25, gold = { min = 1, max = 5 },
}
