-- GET the paths in PATHS (space separated) in turn, counting statuses for bench/report.lua. As browsers do, it
-- asks for gzip: the pages a supporter reads are compressed for them.
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
local paths = {}
for path in string.gmatch(os.getenv("PATHS"), "%S+") do table.insert(paths, path) end
threads = {}
local counter = 0
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter % #paths + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

dofile("bench/report.lua")
