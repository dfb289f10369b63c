-- wrk: PUT a fixed body (WRK_BODY_BYTES, default 1024) to a new key each time under the URL's path
-- (new keys, as uploads mostly are: replacing an existing file by rename makes ext4 start
-- writing the new data back at once, auto_da_alloc, a cost of overwrites that aiohttp's echo never pays)
local n = tonumber(os.getenv("WRK_BODY_BYTES") or "1024")
local body = string.rep("x", n)
local i = 0
local run = tostring(os.time()) .. tostring(math.random(1000000))
request = function()
  i = i + 1
  return wrk.format("PUT", wrk.path .. "/" .. run .. "-" .. i, {["Content-Type"] = "application/octet-stream"}, body)
end
