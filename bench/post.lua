-- POST a form body to wrk's path, with a unique email and client address per request.
-- BODY (with EMAIL as the placeholder), COOKIE and PREFIX come from the environment.
local body_template = os.getenv("BODY")
local cookie = os.getenv("COOKIE")
local prefix = os.getenv("PREFIX") or "bench"
threads = {}
local counter = 0
thread_id = 0
statuses = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function request()
  counter = counter + 1
  local email = string.format("%s-%d-%d%%40gmail.com", prefix, thread_id, counter)
  local body = body_template:gsub("EMAIL", function() return email end)
  local ip = string.format("10.%d.%d.%d", thread_id, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

dofile("bench/report.lua")
