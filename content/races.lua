-- Demo races. A character's race must be one of these (create_character).
-- move_speed (units/s, default 6) is a placeholder until the stat engine
-- drives movement speed. per_level: what each level above 1 adds (the
-- default rules.level_stats adds the race's and the job's).
local defs = require("content.defs")

defs.race{ id = "human", name = "Human", move_speed = 10, per_level = { hp_max = 10 } }
defs.race{ id = "elf", name = "Elf", move_speed = 10, per_level = { hp_max = 8, mp_max = 3 } }
