-- Demo races. A character's race must be one of these (create_character).
local defs = require("content.defs")

defs.race{ id = "human", name = "Human" }
defs.race{ id = "elf", name = "Elf" }
