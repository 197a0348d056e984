-- The demo quest chain: each quest `requires` the one before it, so the log
-- walks a newcomer through the game. Step kinds (docs/content-guide.md,
-- "NPCs and quests"): reach, kill, collect, use, talk, custom. Steps can be
-- done in any order; rewards are paid in one transaction at turn-in.
local defs = require("content.defs")

-- The smallest custom check: true when the character wears a template in a slot.
local function wears(template)
  return function(player)
    for _, it in ipairs(player:items()) do
      if it.template == template and it.place:sub(1, 3) == "eq:" then return true end
    end
    return false
  end
end

-- 1. Moving: walk to the edge of the wolves' meadow and come back.
defs.quest{ id = "first_steps", name = "First Steps", version = 1, giver = "elder",
  steps = { { kind = "reach", zone = "meadow", x = 650, y = 650, radius = 15 } },
  rewards = { exp = 50, items = { { item = "healing_potion", count = 2 } } } }

-- 2. Fighting: kill three wolves (they stand around (700, 700)).
defs.quest{ id = "wolf_trouble", name = "Wolf Trouble", version = 1, giver = "elder",
  requires = { quests = { "first_steps" } },
  steps = { { kind = "kill", monster = "wolf", count = 3 } },
  rewards = { exp = 150, gold = 20 } }

-- 3. Items: wolves drop pelts while this quest is active (content/world/demo_game.lua);
-- drink a potion to learn use_item. Turned in to the smith, who pays with a sword.
defs.quest{ id = "pelts", name = "Pelts for the Smith", version = 1, giver = "smith",
  requires = { quests = { "wolf_trouble" } },
  steps = { { kind = "collect", item = "wolf_pelt", count = 3 },
            { kind = "use", item = "healing_potion" } },
  rewards = { exp = 100, items = { { item = "iron_sword", count = 1 } } } }

-- 4. Equipment: wear the smith's sword and show it to the elder. The rewards
-- (level 10, the Qi realm's cap, and gold for a few tries) make quest 5 possible.
defs.quest{ id = "armed", name = "Armed and Ready", version = 1, giver = "smith",
  requires = { quests = { "pelts" } },
  steps = { { kind = "custom", check = wears("iron_sword"), text = "Equip the iron sword" },
            { kind = "talk", npc = "elder" } },
  rewards = { exp = 8100, gold = 600 } }

-- 5. A realm breakthrough: op breakthrough until the character stands in Foundation.
defs.quest{ id = "foundation", name = "Foundation", version = 1, giver = "elder",
  requires = { quests = { "armed" } },
  steps = { { kind = "custom", text = "Break through to Foundation Establishment",
              check = function(player)
                return (player:data("realm").id or "qi") ~= "qi"
              end } },
  rewards = { exp = 500, gold = 100, items = { { item = "healing_potion", count = 5 } } } }

-- 6. A dungeon run: enter the Wolf Den (portal at (700, 300)) and kill its boss;
-- content/world/demo_game.lua records the kill in the character's data.
defs.quest{ id = "den_leader", name = "The Den Leader", version = 1, giver = "elder",
  requires = { quests = { "foundation" } },
  steps = { { kind = "custom", text = "Kill the boss of the Wolf Den",
              check = function(player) return (player:data("demo").den_boss or 0) > 0 end } },
  rewards = { exp = 2000, gold = 200 } }
