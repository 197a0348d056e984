-- The game's tunable rules, with the engine's defaults. Content overrides any
-- of them by assigning through this module, e.g. in content/rules.lua:
--
--   local rules = require("rules")
--   rules.level_exp = function(level) return 100 * (level - 1) ^ 2 end
--
-- The engine calls these at the moment it needs them, so an override takes
-- effect as soon as the file defining it is loaded (at start or on reload).
local M = {}

-- Total experience needed to reach `level` (level 1 needs 0).
function M.level_exp(level)
  return 50 * level * (level - 1)
end

M.max_level = 100

-- The level a character with `exp` total experience has.
function M.level_for(exp)
  local level = 1
  while level < M.max_level and exp >= M.level_exp(level + 1) do
    level = level + 1
  end
  return level
end

-- What a level gives: stat contributions of the character's "level" source.
-- race and job are the character's race and job ids. Default: the race's and
-- the job's per_level stats, each times (level - 1).
function M.level_stats(level, race, job)
  local defs = require("content.defs")
  local out = {}
  for _, def in ipairs({ defs.get("race", race) or {}, defs.get("job", job) or {} }) do
    for stat, v in pairs(def.per_level or {}) do
      out[stat] = (out[stat] or 0) + v * (level - 1)
    end
  end
  for stat, v in pairs(out) do
    if v == 0 then out[stat] = nil end -- a 0 would hide the stat's default (mp_max 50)
  end
  return out
end

-- ---- progression: realms and skills (scripts/rules/progression.lua applies them) ----

-- The skill of the `attack` op. The default known_skills always includes it,
-- so every character can attack whatever its job lists.
M.basic_skill = "strike"

-- The most total experience a character in `realm` (a realm{} definition, or
-- nil when the content has none) may hold: just under the exp of the level
-- after its level_cap. nil: no limit. chaos.txn clamps t:add_exp to it; the
-- experience that does not fit is dropped (never banked).
function M.max_exp(realm)
  if not realm or realm.level_cap >= M.max_level then return nil end
  return M.level_exp(realm.level_cap + 1) - 1
end

-- The chance that a breakthrough out of `realm` succeeds, in [0, 1]:
-- chance + per_failure * failures + stats[stat] * stat_scale. `stats` is the
-- character's resolved stats ({name = value}).
function M.breakthrough_chance(realm, failures, stats)
  local bt = realm.breakthrough or {}
  local c = (bt.chance or 0) + (bt.per_failure or 0) * failures
  if bt.stat then c = c + (stats[bt.stat] or 0) * (bt.stat_scale or 0) end
  if c ~= c then return 0 end
  return math.max(0, math.min(1, c))
end

-- The skills a character knows: a list of skill ids, or nil for "every skill"
-- (a job without a skills list). `rank` is the position of the character's
-- realm in the climbing order (1 = the first realm; 0 when there are none).
-- An entry is known when the level (if given) is reached and the realm (if
-- given) is reached or passed.
function M.known_skills(level, race, job, rank)
  local defs = require("content.defs")
  local j = defs.get("job", job)
  if not j or j.skills == nil then return nil end
  local rank_of = {}
  for i, r in ipairs(defs.realms()) do rank_of[r.id] = i end
  local out, seen = {}, {}
  local function add(id)
    if not seen[id] then seen[id] = true; out[#out + 1] = id end
  end
  if M.basic_skill then add(M.basic_skill) end
  for _, e in ipairs(j.skills) do
    if (not e.level or level >= e.level) and (not e.realm or rank >= (rank_of[e.realm] or math.huge)) then
      add(e.skill)
    end
  end
  return out
end

-- Experience one contributor gets for a kill. `monster` is the monster{}
-- definition, `c` the contributor ({character, damage, share}), `kill` the
-- whole kill event. Default: everyone who hit it gets the monster's full exp.
function M.kill_exp(monster, c, kill)
  return monster.exp or 0
end

-- Gold the killing blow earns: a roll between the monster's gold.min and .max.
function M.kill_gold(monster, kill)
  local g = monster.gold
  if type(g) ~= "table" or (g.max or 0) <= 0 then return 0 end
  local lo, hi = math.floor(g.min or 0), math.floor(g.max)
  if hi < lo then return 0 end
  return require("chaos").random(lo, hi)
end

-- Numbers the C core reads after every load (plain data only):
--   player_respawn  seconds a dead player waits before coming back at the
--                   zone's spawn
--   guild_fee       gold a new guild costs its founder (0: free)
--   guild_members   members a guild may have (1..500)
--   guild_invite_s  seconds a guild invite stays open
-- Change them in place from content, e.g. require("rules").settings.guild_fee = 250
M.settings = { player_respawn = 3, guild_fee = 100, guild_members = 100, guild_invite_s = 600 }
debug.getregistry()["chaos.defs"].settings = { game = M.settings }

return M
