-- dungeon: procedural dungeons from dungeon{} templates (engine module,
-- `require("dungeon")`). The map draws only from its own generator,
-- chaos.rng(GEN_VERSION, "dungeon", template, seed), never chaos.random:
-- the same template and seed give the same dungeon (scripts/dungeon/gen.lua
-- has the rules). Errors are raised as plain messages (level 0).
local chaos = require("chaos")
local defs = require("content.defs")
local gen = require("dungeon.gen")

local M = {}

M.GEN_VERSION = 1
M.MAX_SEED = 2 ^ 53 - 1

-- The map of template `id` for seed (a whole number in [0, 2^53 - 1]).
function M.generate(id, seed)
  local d = type(id) == "string" and defs.get("dungeon", id) or nil
  if not d then error("unknown dungeon template '" .. tostring(id) .. "'", 0) end
  if type(seed) ~= "number" or seed % 1 ~= 0 or seed < 0 or seed > M.MAX_SEED then
    error("dungeon seed must be a whole number in [0, 2^53 - 1]", 0)
  end
  local map = gen.generate(d, chaos.rng(M.GEN_VERSION, "dungeon", id, seed))
  map.template, map.seed = id, seed
  return map
end

-- For chaosctl gen dungeon: the map as ASCII (strings in, a string out).
function M.ascii_map(id, seed)
  return gen.ascii(M.generate(id, tonumber(seed)))
end

return M
