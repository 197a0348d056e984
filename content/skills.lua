-- Demo skills (skill{} of scripts/content/defs.lua). `strike` is every
-- character's basic attack (the `attack` op); monsters use `bite`.
local defs = require("content.defs")

defs.skill{ id = "strike", name = "Strike", base_min = 8, base_max = 12, scaling = 1.0,
            range = 3, cooldown = 1 }
defs.skill{ id = "firebolt", name = "Firebolt", base_min = 20, base_max = 30, scaling = 1.2,
            element = "fire", damage_type = "magical", range = 20, cooldown = 3, cast_time = 0,
            cost = { mp = 10 } }
defs.skill{ id = "bite", name = "Bite", base_min = 3, base_max = 6, scaling = 0.5,
            range = 2.5, cooldown = 1.5 }
-- Meteor: the mages' skill of the Core Formation realm (content/jobs.lua).
defs.skill{ id = "meteor", name = "Meteor", base_min = 60, base_max = 90, scaling = 2.0,
            element = "fire", damage_type = "magical", range = 25, cooldown = 10,
            cast_time = 1.5, cost = { mp = 40 } }
