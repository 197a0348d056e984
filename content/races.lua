-- Demo races. A character's race must be one of these (create_character).
-- move_speed (units/s, default 6) is a placeholder until the stat engine
-- drives movement speed. per_level: what each level above 1 adds (the
-- default rules.level_stats adds the race's and the job's). A stat a level
-- adds to is no longer "missing", so its default (hp_max 100, mp_max 50) no
-- longer applies: the races state their base hp_max and mp_max.
local defs = require("content.defs")

defs.race{ id = "human", name = "Human", move_speed = 10,
  stats = { hp_max = 100, mp_max = 50 }, per_level = { hp_max = 10 } }
defs.race{ id = "elf", name = "Elf", move_speed = 10,
  stats = { hp_max = 90, mp_max = 60 }, per_level = { hp_max = 8, mp_max = 3 } }
