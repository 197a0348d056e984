-- Demo races. A character's race must be one of these (create_character).
-- move_speed (units/s, default 6) is a placeholder until the stat engine
-- drives movement speed.
local defs = require("content.defs")

defs.race{ id = "human", name = "Human", move_speed = 10 }
defs.race{ id = "elf", name = "Elf", move_speed = 10 }
