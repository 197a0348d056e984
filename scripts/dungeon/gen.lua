-- The dungeon generator: from a dungeon{} template and a generator
-- (chaos.rng), a map of rooms and corridors on a grid of cells. Pure over
-- its inputs: every choice is a draw of the generator it is handed, in a
-- fixed order, so the same template and seed give the same dungeon on every
-- machine. Changing the draws changes every seed's dungeon: bump
-- dungeon.GEN_VERSION (scripts/dungeon/init.lua) with it.
--
-- The rules (docs/content-guide.md, "Dungeons"):
--   * The grid is size = {w, h} cells; the outer ring is always wall.
--   * Room count: uniform in rooms = {min, max}; each room is a rectangle of
--     3..S cells a side (S = min(10, max(3, floor(min(w, h) / 3)))), placed
--     at a random spot, kept when it stays one cell clear of every earlier
--     room (at most 30 tries per room wanted; fewer than 2 rooms is an error).
--   * Corridors: room i joins room i - 1 by an L of floor between their
--     centres (horizontal first or vertical first, a draw): every room is
--     reachable from the first.
--   * Spawn: the centre of the first room. Boss room: the room whose centre
--     is the most steps from the spawn (lowest index on ties); the boss
--     stands at its centre.
--   * Every other room after the first gets rng:int(0, difficulty) monsters
--     (at most a quarter of its cells), each a uniform pick of `monsters`,
--     on free floor cells of the room.
--   * Chests (when the template lists any): one in the boss room; each other
--     room after the first holds one when rng:int(1, 10) <= difficulty. A
--     chest holds a uniform pick of `chests`.
--   * Walls become blocked rectangles (greedy: widest run, then as tall as
--     it goes), in zone units (a cell is TILE units; entities stand at cell
--     centres).
local M = {}

M.TILE = 4

local function carve(grid, x0, y0, x1, y1)
  if x0 > x1 then x0, x1 = x1, x0 end
  if y0 > y1 then y0, y1 = y1, y0 end
  for y = y0, y1 do
    for x = x0, x1 do grid[y][x] = true end
  end
end

local function centre(r)
  return r.x + math.floor(r.w / 2), r.y + math.floor(r.h / 2)
end

-- Steps from (sx, sy) to every floor cell: dist[y][x] (nil when unreachable).
function M.distances(map, sx, sy)
  local dist = {}
  for y = 1, map.rows do dist[y] = {} end
  dist[sy][sx] = 0
  local qx, qy, head = { sx }, { sy }, 1
  while head <= #qx do
    local x, y = qx[head], qy[head]
    head = head + 1
    local d = dist[y][x] + 1
    for _, s in ipairs({ { 1, 0 }, { -1, 0 }, { 0, 1 }, { 0, -1 } }) do
      local nx, ny = x + s[1], y + s[2]
      if nx >= 1 and ny >= 1 and nx <= map.cols and ny <= map.rows and map.cells[ny][nx]
          and dist[ny][nx] == nil then
        dist[ny][nx] = d
        qx[#qx + 1], qy[#qy + 1] = nx, ny
      end
    end
  end
  return dist
end

local function walls(map)
  local used, out, T = {}, {}, M.TILE
  for y = 1, map.rows do used[y] = {} end
  local function free(x, y) return not map.cells[y][x] and not used[y][x] end
  for y = 1, map.rows do
    for x = 1, map.cols do
      if free(x, y) then
        local w = 1
        while x + w <= map.cols and free(x + w, y) do w = w + 1 end
        local h = 1
        while y + h <= map.rows do
          local ok = true
          for k = x, x + w - 1 do
            if not free(k, y + h) then ok = false break end
          end
          if not ok then break end
          h = h + 1
        end
        for yy = y, y + h - 1 do
          for xx = x, x + w - 1 do used[yy][xx] = true end
        end
        out[#out + 1] = { x = (x - 1) * T, y = (y - 1) * T, w = w * T, h = h * T }
      end
    end
  end
  return out
end

local function at(cx, cy)
  return (cx - 0.5) * M.TILE, (cy - 0.5) * M.TILE
end

-- The map of template d (a dungeon{} definition) drawn from rng:
--   { cols, rows, tile, width, height, cells[y][x] (true: floor),
--     rooms = { {x, y, w, h} (cells) }, boss_room = index,
--     spawn = { cx, cy, x, y }, boss = { cx, cy, x, y, monster },
--     monsters = { { cx, cy, x, y, monster } }, chests = { { cx, cy, x, y, item } },
--     blocked = { {x, y, w, h} (zone units) } }
function M.generate(d, rng)
  local W, H = d.size[1], d.size[2]
  local map = { cols = W, rows = H, tile = M.TILE, width = W * M.TILE, height = H * M.TILE,
                cells = {}, rooms = {}, monsters = {}, chests = {} }
  for y = 1, H do
    local row = {}
    for x = 1, W do row[x] = false end
    map.cells[y] = row
  end
  local want = rng:int(d.rooms[1], d.rooms[2])
  local side = math.min(10, math.max(3, math.floor(math.min(W, H) / 3)))
  local rooms, tries = map.rooms, 0
  while #rooms < want and tries < want * 30 do
    tries = tries + 1
    local rw, rh = rng:int(3, side), rng:int(3, side)
    local rx, ry = rng:int(2, W - rw), rng:int(2, H - rh)
    local ok = true
    for _, o in ipairs(rooms) do
      if rx <= o.x + o.w and o.x <= rx + rw and ry <= o.y + o.h and o.y <= ry + rh then
        ok = false
        break
      end
    end
    if ok then rooms[#rooms + 1] = { x = rx, y = ry, w = rw, h = rh } end
  end
  if #rooms < 2 then
    error("dungeon '" .. tostring(d.id) .. "': fewer than 2 rooms fit in " .. W .. "x" .. H, 0)
  end
  for _, r in ipairs(rooms) do carve(map.cells, r.x, r.y, r.x + r.w - 1, r.y + r.h - 1) end
  for i = 2, #rooms do
    local ax, ay = centre(rooms[i - 1])
    local bx, by = centre(rooms[i])
    if rng:int(0, 1) == 0 then
      carve(map.cells, ax, ay, bx, ay)
      carve(map.cells, bx, ay, bx, by)
    else
      carve(map.cells, ax, ay, ax, by)
      carve(map.cells, ax, by, bx, by)
    end
  end
  local taken = {}
  local function take(cx, cy) taken[cy * 1000 + cx] = true end
  local sx, sy = centre(rooms[1])
  local x, y = at(sx, sy)
  map.spawn = { cx = sx, cy = sy, x = x, y = y }
  take(sx, sy)
  local dist = M.distances(map, sx, sy)
  local best, bestd = 2, -1
  for i = 2, #rooms do
    local cx, cy = centre(rooms[i])
    if dist[cy][cx] > bestd then best, bestd = i, dist[cy][cx] end
  end
  map.boss_room = best
  local bx, by = centre(rooms[best])
  x, y = at(bx, by)
  map.boss = { cx = bx, cy = by, x = x, y = y, monster = d.boss }
  take(bx, by)
  -- A free cell of room r (nil after 10 unlucky draws).
  local function free_cell(r)
    for _ = 1, 10 do
      local cx, cy = rng:int(r.x, r.x + r.w - 1), rng:int(r.y, r.y + r.h - 1)
      if not taken[cy * 1000 + cx] then
        take(cx, cy)
        return cx, cy
      end
    end
  end
  for i = 2, #rooms do
    if i ~= best then
      local r = rooms[i]
      local n = math.min(rng:int(0, d.difficulty), math.floor(r.w * r.h / 4))
      for _ = 1, n do
        local cx, cy = free_cell(r)
        local monster = d.monsters[rng:int(1, #d.monsters)]
        if cx then
          x, y = at(cx, cy)
          map.monsters[#map.monsters + 1] = { cx = cx, cy = cy, x = x, y = y, monster = monster }
        end
      end
    end
  end
  local chests = d.chests or {}
  if #chests > 0 then
    for i = 2, #rooms do
      if i == best or rng:int(1, 10) <= d.difficulty then
        local cx, cy = free_cell(rooms[i])
        local item = chests[rng:int(1, #chests)]
        if cx then
          x, y = at(cx, cy)
          map.chests[#map.chests + 1] = { cx = cx, cy = cy, x = x, y = y, item = item }
        end
      end
    end
  end
  map.blocked = walls(map)
  return map
end

-- The map as text: one line per row, # wall, . floor, S spawn, M monster,
-- C chest, B boss.
function M.ascii(map)
  local rows = {}
  for y = 1, map.rows do
    local row = {}
    for x = 1, map.cols do row[x] = map.cells[y][x] and "." or "#" end
    rows[y] = row
  end
  for _, m in ipairs(map.monsters) do rows[m.cy][m.cx] = "M" end
  for _, c in ipairs(map.chests) do rows[c.cy][c.cx] = "C" end
  rows[map.boss.cy][map.boss.cx] = "B"
  rows[map.spawn.cy][map.spawn.cx] = "S"
  for y = 1, map.rows do rows[y] = table.concat(rows[y]) end
  return table.concat(rows, "\n")
end

return M
