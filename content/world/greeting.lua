-- Demo content: a greeting designers can edit while the server runs.
-- Save this file and the server reloads it; a mistake here is refused with
-- its file and line, and the previous greeting keeps answering.
local chaos = require("chaos")

local greeting = "Welcome to the Chaos World"

chaos.on_op("greet", function(req)
  local name = req.name
  if name ~= nil and (type(name) ~= "string" or #name > 32) then
    chaos.fail("bad_field", "greet: \"name\" must be a string of at most 32 characters")
  end
  return { text = name and (greeting .. ", " .. name .. "!") or (greeting .. "!") }
end)

-- A world heartbeat: timers belong to this generation and stop when it is
-- replaced by a reload.
chaos.every(60, function()
  chaos.log("info", "world heartbeat", { generation = chaos.generation() })
end)
