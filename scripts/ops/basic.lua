-- Engine ops every server answers from Lua: small, stable, documented in
-- docs/protocol.md. Content may add its own ops beside these.
local chaos = require("chaos")

local M = {}

-- echo: returns the client's "text" (required, a string) unchanged: a connectivity and
-- framing check.
chaos.on_op("echo", function(req)
  if type(req.text) ~= "string" then
    chaos.fail("bad_field", "echo needs \"text\": a string")
  end
  return { text = req.text }
end)

-- time: the server's wall clock and content generation.
chaos.on_op("time", function(_, ctx)
  return { time = chaos.time(), uptime = chaos.now(), generation = ctx.generation }
end)

return M
