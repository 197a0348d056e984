-- The meadow: where every new character starts. A stone wall east of the
-- spawn, a safe camp around it, and a cave mouth leading to the caves.
local defs = require("content.defs")

defs.zone{
  id = "meadow",
  name = "Green Meadow",
  start = true,
  width = 1000, height = 1000,
  view = 50,
  spawn = { x = 500, y = 500 },
  safe = { { x = 450, y = 450, w = 100, h = 100 } },
  blocked = { { x = 600, y = 400, w = 20, h = 200 } },
  portals = { { x = 300, y = 300, radius = 5, to = "caves", to_x = 60, to_y = 60 },
              { x = 700, y = 300, radius = 5, dungeon = "wolf_den" } },
  -- Wolves well away from the start spawn (>= 150 units), out of its view.
  spawns = { { monster = "wolf", x = 700, y = 700, count = 3, radius = 15 } },
}
