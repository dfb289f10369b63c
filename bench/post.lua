-- wrk: POST a fixed body (WRK_BODY_BYTES, default 64) to the URL given on the command line
wrk.method = "POST"
local n = tonumber(os.getenv("WRK_BODY_BYTES") or "64")
wrk.body = "\"" .. string.rep("x", n - 2) .. "\""  -- a JSON string: the Lambda API checks JSON
wrk.headers["Content-Type"] = "application/octet-stream"
