-- Party ops (docs/protocol.md): party_invite, party_accept, party_leave,
-- party_kick, party_leader, party. The parties: scripts/engine/party.lua.
local chaos = require("chaos")
local party = require("engine.party")

local function player_of(ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  return ctx.player
end

-- party_invite {name} → {invited}; the invited player gets party_invite {from}
chaos.on_op("party_invite", function(req, ctx)
  local t = party.invite(player_of(ctx), req.name)
  return { invited = t.name }
end)

-- party_accept → {in_party = true, leader, members}
chaos.on_op("party_accept", function(_, ctx)
  local p = player_of(ctx)
  party.accept(p)
  return party.view(p)
end)

-- party_leave → {left = true}
chaos.on_op("party_leave", function(_, ctx)
  party.leave(player_of(ctx))
  return { left = true }
end)

-- party_kick {name} → {kicked}
chaos.on_op("party_kick", function(req, ctx)
  local t = party.kick(player_of(ctx), req.name)
  return { kicked = t.name }
end)

-- party_leader {name} → {leader}
chaos.on_op("party_leader", function(req, ctx)
  local t = party.set_leader(player_of(ctx), req.name)
  return { leader = t.name }
end)

-- party → {in_party = true, leader, members}, or {in_party = false}
chaos.on_op("party", function(_, ctx)
  return party.view(player_of(ctx)) or { in_party = false }
end)

return {}
