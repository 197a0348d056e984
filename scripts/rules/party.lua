-- Party rules (scripts/engine/party.lua keeps the parties; scripts/rules/kill.lua
-- asks these when it pays a kill). Content overrides any of them through
-- require("rules"), like the other rules.
local rules = require("rules")

-- Most members a party may have (the leader included).
rules.party_max = 5

-- Members share a kill only when online, alive, in the kill's zone and within
-- this many units of where the monster died.
rules.party_range = 60

local function in_range(h, kill)
  return h.exists and not h.dead and h.zone == kill.zone
    and math.sqrt((h.x - kill.x) ^ 2 + (h.y - kill.y) ^ 2) <= rules.party_range
end

-- How the experience exp one contributor p earned for kill is shared with
-- its party: a list of {player = handle, exp = n}. `members` are the online
-- members of p's party (p included; just {p} without a party). Default:
-- split evenly (rounded down) between p and the members in range; what
-- rounding leaves goes to p. Out of range, p keeps it all.
function rules.party_share(exp, p, members, kill)
  local near = {}
  for _, h in ipairs(members) do
    if h ~= p and in_range(h, kill) then near[#near + 1] = h end
  end
  local each = math.floor(exp / (#near + 1))
  local out = { { player = p, exp = exp - each * #near } }
  for _, h in ipairs(near) do out[#out + 1] = { player = h, exp = each } end
  return out
end

-- Who gets the killing blow's gold and loot: the killer (a handle); members
-- the killer's party online members. Default: the killer. Content may rotate
-- it, e.g. to a random member in range.
function rules.party_loot(killer, members, kill)
  return killer
end

return {}
