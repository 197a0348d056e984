-- Demo jobs. A character's job must be one of these (create_character).
-- per_level: stats each level above 1 adds; skills: what the job learns, and
-- when (a level, a cultivation realm of content/realms.lua, or both).
-- `strike`, the basic attack, is always known (rules.basic_skill).
local defs = require("content.defs")

defs.job{ id = "warrior", name = "Warrior", per_level = { power = 2, defense = 1 },
  skills = { { skill = "strike", level = 1 } } }
defs.job{ id = "mage", name = "Mage", per_level = { power = 2, mp_max = 5 },
  skills = { { skill = "strike", level = 1 }, { skill = "firebolt", level = 5 },
             { skill = "meteor", realm = "core" } } }
