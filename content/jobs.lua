-- Demo jobs. A character's job must be one of these (create_character).
local defs = require("content.defs")

defs.job{ id = "warrior", name = "Warrior" }
defs.job{ id = "mage", name = "Mage" }
