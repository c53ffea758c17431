-- The summary line each wrk run prints for bench/sign.py to read.
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  io.write("RESULT")
  io.write(string.format(" requests=%d", summary.requests))
  io.write(string.format(" seconds=%.3f", summary.duration / 1e6))
  io.write(string.format(" p50_ms=%.2f", latency:percentile(50) / 1000))
  io.write(string.format(" p99_ms=%.2f", latency:percentile(99) / 1000))
  io.write(string.format(" socket_errors=%d", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for status, n in pairs(totals) do
    io.write(string.format(" status_%d=%d", status, n))
  end
  io.write("\n")
end
