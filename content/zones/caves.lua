-- The caves under the meadow: small, dark (short view), one way back up.
local defs = require("content.defs")

defs.zone{
  id = "caves",
  name = "Damp Caves",
  width = 400, height = 400,
  view = 30,
  spawn = { x = 60, y = 60 },
  blocked = { { x = 150, y = 0, w = 10, h = 300 } },
  portals = { { x = 40, y = 40, radius = 4, to = "meadow", to_x = 310, to_y = 310 } },
}
