-- wrk: PUT a fixed body (WRK_BODY_BYTES, default 1024) to 1,000 keys in turn under the URL's path
local n = tonumber(os.getenv("WRK_BODY_BYTES") or "1024")
local body = string.rep("x", n)
local i = 0
request = function()
  i = (i + 1) % 1000
  return wrk.format("PUT", wrk.path .. "/k" .. i, {["Content-Type"] = "application/octet-stream"}, body)
end
