-- wrk: Lambda `Event` invocations of echo0..echo{WRK_FUNCTIONS-1} (64-byte JSON bodies),
-- stopping after WRK_EVENTS answers (run it with -t1); done() prints the counts as JSON.
-- (bench/bench_cluster.py: a client in C, so the load generator is not what is measured.)
local names = tonumber(os.getenv("WRK_FUNCTIONS") or "6")
local quota = tonumber(os.getenv("WRK_EVENTS") or "1000")
local threads = {}
accepted, other, i = 0, 0, 0  -- globals: done() reads them with thread:get

function setup(thread)
  table.insert(threads, thread)
end

wrk.method = "POST"
wrk.body = '"' .. string.rep("x", 62) .. '"'
wrk.headers["X-Amz-Invocation-Type"] = "Event"

function request()
  i = i + 1
  return wrk.format(nil, "/2015-03-31/functions/echo" .. (i % names) .. "/invocations")
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
  if accepted + other == quota then
    io.write("quota\n")  -- wrk's main thread sleeps for -d: the bench interrupts it (SIGINT) on this line
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format('{"accepted": %d, "other": %d, "socket_errors": %d, "duration_s": %.6f, ' ..
                         '"p50_ms": %.3f, "p99_ms": %.3f}\n', a, o, e.connect + e.read + e.write + e.timeout,
                         summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
