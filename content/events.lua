-- The demo's recurring world event (world_event{}, docs/content-guide.md,
-- "World events"): twice a day (UTC), for 5 minutes, more wolves come to the
-- south-east meadow (well away from the spawn). No modifiers, so nobody's
-- stats change; add `modifiers = { buffs = { stats = { power = 5 } } }` for a buff.
-- `every = 30` would run it every 30 minutes instead; the demo keeps it rare so
-- that the test suite, which plays on this content, is almost never inside a
-- window. An operator can start it any time: `chaosctl event start wolf_moon`.
local defs = require("content.defs")

defs.world_event{ id = "wolf_moon", name = "Wolf Moon", at = { "08:00", "20:00" }, duration = 300,
  zone = "meadow",
  announce = { before = 60, text = "The wolf moon rises in a minute" },
  start_text = "The wolf moon is up: the pack gathers south-east!",
  end_text = "The wolf moon sets.",
  waves = { { at = 0, monster = "wolf", count = 3, x = 720, y = 720, radius = 10 } } }
