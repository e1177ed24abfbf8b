-- wrk script: the request of bench/gateway.lua (a GitHub-signed 1 KiB body, its own
-- X-GitHub-Delivery on each request) sent to adnanh/webhook's /hooks/github instead of
-- Hookline's /in/bench, so both are driven the same way. bench/webhook.sh sets the variables.
wrk.method = "POST"
wrk.path = "/hooks/github"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-Hub-Signature-256"] = os.getenv("HOOKLINE_BENCH_SIGNATURE")
wrk.body = os.getenv("HOOKLINE_BENCH_BODY")

local threads = {}
local counter = 0

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- wrk.format uses the headers it is given instead of wrk.headers, not in addition to them:
-- the table passed must carry every header (signature included), not just the new one.
local headers = {}
for name, value in pairs(wrk.headers) do headers[name] = value end

request = function()
  counter = counter + 1
  headers["X-GitHub-Delivery"] = string.format("%d-%d", tid, counter)
  return wrk.format(nil, nil, headers)
end

-- No `response` function, as in gateway.lua: it would make wrk parse every answer into Lua.

done = function(summary, latency, requests)
  io.write(string.format("requests: %d in %.1f s = %.0f/s; p50 %.2f ms, p99 %.2f ms; errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
