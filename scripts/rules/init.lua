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
-- race and job are the character's race and job ids.
function M.level_stats(level, race, job)
  return { hp_max = 10 * (level - 1), power = 2 * (level - 1) }
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
M.settings = { player_respawn = 3 }
debug.getregistry()["chaos.defs"].settings = { game = M.settings }

return M
