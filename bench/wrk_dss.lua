-- wrk script for bench/dss.py: DSS operational intent queries or creates.
--
--   wrk -t1 -c8 -d15s --latency -s bench/wrk_dss.lua http://127.0.0.1:8000 -- \
--       mode=query token=JWT t0=1767225600 lon0=6 lat0=45.5 cols=400 rows=200 hours=48
--
-- mode=query POSTs /dss/v1/operational_intent_references/query for a 0.02° square and
-- two hours around a random stored cell; mode=create PUTs a new intent (random UUIDv4)
-- 0.008° wide in a random cell, in hours after the stored ones (empty key: nearly all are
-- created; a rare clash with another created one is refused with 409).
-- done() prints "BENCH_JSON {...}": latency percentiles (µs) and answers by status.

local floor, format, random = math.floor, string.format, math.random

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local config = {}

local function stamp(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      config[key] = value
    end
  end
  math.randomseed(os.time() * 1000 + index * 7919)
  headers = { ["Authorization"] = "Bearer " .. config.token, ["Content-Type"] = "application/json" }
  t0 = tonumber(config.t0)
  lon0, lat0 = tonumber(config.lon0), tonumber(config.lat0)
  cols, rows, hours = tonumber(config.cols), tonumber(config.rows), tonumber(config.hours)
  create = config.mode == "create"
  created, refused, ok, other = 0, 0, 0, 0
  other_status = ""
end

local function uuid4()
  return format("%04x%04x-%04x-4%03x-%x%03x-%04x%04x%04x",
    random(0, 65535), random(0, 65535), random(0, 65535), random(0, 4095),
    random(8, 11), random(0, 4095), random(0, 65535), random(0, 65535), random(0, 65535))
end

local function square(x, y, h)
  return format('{"outline_polygon":{"vertices":[{"lng":%.6f,"lat":%.6f},{"lng":%.6f,"lat":%.6f},'
      .. '{"lng":%.6f,"lat":%.6f},{"lng":%.6f,"lat":%.6f}]},'
      .. '"altitude_lower":{"value":0,"reference":"W84","units":"M"},'
      .. '"altitude_upper":{"value":120,"reference":"W84","units":"M"}}',
    x - h, y - h, x + h, y - h, x + h, y + h, x - h, y + h)
end

function request()
  local x = lon0 + (random(0, cols - 1) + 0.5) * 0.01
  local y = lat0 + (random(0, rows - 1) + 0.5) * 0.01
  if create then
    local start = t0 + (hours + random(0, hours - 1)) * 3600
    local body = format(
      '{"extents":[{"volume":%s,"time_start":{"value":"%s","format":"RFC3339"},'
        .. '"time_end":{"value":"%s","format":"RFC3339"}}],"key":[],"state":"Accepted",'
        .. '"uss_base_url":"https://bench.test"}',
      square(x, y, 0.004), stamp(start), stamp(start + 3600))
    return wrk.format("PUT", "/dss/v1/operational_intent_references/" .. uuid4(), headers, body)
  end
  local start = t0 + random(0, hours - 1) * 3600
  local body = format(
    '{"area_of_interest":{"volume":%s,"time_start":{"value":"%s","format":"RFC3339"},'
      .. '"time_end":{"value":"%s","format":"RFC3339"}}}',
    square(x, y, 0.01), stamp(start), stamp(start + 7200))
  return wrk.format("POST", "/dss/v1/operational_intent_references/query", headers, body)
end

function response(status, _headers, _body)
  if status == 201 then
    created = created + 1
  elseif status == 409 then
    refused = refused + 1
  elseif status == 200 then
    ok = ok + 1
  else
    other = other + 1
    if other_status == "" then
      other_status = tostring(status)
    end
  end
end

function done(summary, latency, _requests)
  local c, r, o, x, s = 0, 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("refused")
    o = o + thread:get("ok")
    x = x + thread:get("other")
    if s == "" then
      s = thread:get("other_status")
    end
  end
  io.write(format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"errors":%d,'
      .. '"latency_us":{"p50":%d,"p99":%d,"max":%d},'
      .. '"created":%d,"refused":%d,"ok":%d,"other":%d,"other_status":"%s"}\n',
    summary.duration, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, c, r, o, x, s))
end
