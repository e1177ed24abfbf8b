-- wrk script: POST 1 KiB messages to one application, as the load harness's clients do.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HOOKLINE_BENCH_TOKEN")
wrk.path = "/api/v1/app/load/msg"
wrk.body = '{"eventType":"load","payload":{"blob":"' .. string.rep("x", 1000) .. '"}}'

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d in %.1f s = %.0f/s; p50 %.2f ms, p99 %.2f ms; errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
