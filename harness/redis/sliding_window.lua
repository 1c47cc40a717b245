-- Sliding-window log, atomically, on the server's clock.
-- KEYS[1]  the window of one session on one route (a sorted set)
-- ARGV[1]  limit (requests per window)
-- ARGV[2]  window in milliseconds
-- ARGV[3]  a token unique per call (client id + counter): members never collide
-- Returns {allowed (0/1), count after this call, oldest score (us), now (us)}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
-- An entry at time s counts while now - s < window: drop those at or before now - window.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms * 1000)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, t[1] .. '.' .. t[2] .. ':' .. ARGV[3])
  -- The newest entry lives one window: so does the key (no leak of idle sessions).
  redis.call('PEXPIRE', KEYS[1], window_ms)
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local oldest_score = now
if oldest[2] then oldest_score = tonumber(oldest[2]) end
return {allowed, count, oldest_score, now}
