-- Sliding-window log, atomically, on the server's clock.
-- KEYS[1]  the window of one session on one route (a sorted set scored by microseconds)
-- ARGV[1]  limit (requests per window)
-- ARGV[2]  window in milliseconds
-- ARGV[3]  a token unique per call (client id + counter): members never collide
-- Returns one string "allowed count oldest_us now_s now_us": a single bulk reply is
-- cheaper for the client to parse than an array, and strings keep microseconds exact.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local horizon = now - window_ms * 1000
-- An entry at time s counts while now - s < window. Entries are ordered by time, so
-- only when the oldest has left the window is there anything to remove.
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] and tonumber(oldest[2]) <= horizon then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
  oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
end
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
local now_us = t[1] .. string.format('%06d', tonumber(t[2]))
if count < limit then
  redis.call('ZADD', KEYS[1], now, t[1] .. '.' .. t[2] .. ':' .. ARGV[3])
  -- The newest entry lives one window: so does the key (no leak of idle sessions).
  redis.call('PEXPIRE', KEYS[1], window_ms)
  count = count + 1
  allowed = 1
end
return allowed .. ' ' .. count .. ' ' .. (oldest[2] or now_us) .. ' ' .. t[1] .. ' ' .. t[2]
