-- Demo cultivation realms (realm{} of scripts/content/defs.lua). Every
-- character starts in the first; its level stops at level_cap until the
-- `breakthrough` op succeeds. caps are the realm's stat maxima.
local defs = require("content.defs")

defs.realm{ id = "qi", name = "Qi Condensation", order = 1, level_cap = 10,
  caps = { power = 60, hp_max = 800 },
  breakthrough = { chance = 0.5, per_failure = 0.1, stat = "insight", stat_scale = 0.001,
                   cost = { gold = 100 }, penalty = { stats = { power = -5 }, seconds = 600 } } }
defs.realm{ id = "foundation", name = "Foundation Establishment", order = 2, level_cap = 20,
  caps = { power = 150, hp_max = 2000 },
  breakthrough = { chance = 0.35, per_failure = 0.1, stat = "insight", stat_scale = 0.001,
                   cost = { gold = 500 }, penalty = { stats = { power = -10 }, seconds = 900 } } }
defs.realm{ id = "core", name = "Core Formation", order = 3, level_cap = 30,
  caps = { power = 400, hp_max = 5000 } }
