-- The engine's progression rules: levels, cultivation realms, job skills.
--
-- A character's realm and its failed breakthroughs live in its data,
-- player:data("realm") = { id = "qi", failures = 2 } (a character without
-- one is in the first realm). At enter_world and after every level_up and
-- breakthrough the rules give the C core what follows from it:
--   the `level` stat source   rules.level_stats(level, race, job)
--   the stat actor's realm    (its REALM caps: realm{ caps = ... })
--   the known skills          rules.known_skills(level, race, job, rank)
-- and a level_up tells the player {"ev":"level_up","level":N}. The ops that
-- use this are in scripts/ops/progression.lua.
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local private = debug.getregistry()["chaos.private"]

local M = {}

M.NS = "realm"

-- The realm{} the character is in and its rank (1 = first), from its data
-- (or `data`, a copy being changed in a transaction). nil, 0 when the
-- content has no realms. A realm id the content no longer defines counts as
-- the first realm.
function M.realm_of(player, data)
  local realms = defs.realms()
  if #realms == 0 then return nil, 0 end
  local d = data or player:data(M.NS)
  for i, r in ipairs(realms) do
    if r.id == d.id then return r, i end
  end
  return realms[1], 1
end

-- Failed breakthroughs out of the current realm.
function M.failures(player)
  return tonumber(player:data(M.NS).failures) or 0
end

-- Hands the C core what the character's level and realm give.
function M.apply(player)
  local realm, rank = M.realm_of(player)
  private.level_stats(player, rules.level_stats(player.level, player.race, player.job))
  private.set_realm(player, realm and realm.id or nil)
  private.set_known_skills(player, rules.known_skills(player.level, player.race, player.job, rank))
end

chaos.on("enter_world", function(ev)
  M.apply(ev.player)
end, { priority = 1000 })

chaos.on("level_up", function(ev)
  local p = ev.player
  if p and p.exists then
    M.apply(p)
    p:send{ ev = "level_up", level = ev.level }
  end
end, { priority = 1000 })

return M
