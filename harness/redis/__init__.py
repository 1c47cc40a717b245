"""Redis: TLS client factory, session store and sliding-window limiter."""
