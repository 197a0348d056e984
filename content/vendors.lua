-- Demo vendor (vendor{} of scripts/content/shop_defs.lua): a trader a short
-- walk from the meadow's spawn (just out of its view, 50), selling
-- potions and the sword and buying anything for a quarter of its value.
local defs = require("content.defs")

defs.vendor{ id = "village_trader", name = "Trader Lin", zone = "meadow", x = 500, y = 560,
  sells = { { item = "healing_potion" }, { item = "iron_sword", price = 60 } },
  buys = true, buy_ratio = 0.25 }
