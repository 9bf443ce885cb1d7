-- Token detail per provider call: thinking tokens (part of completion_tokens) and prompt-cache reads and
-- writes (part of prompt_tokens), as the provider reported them; 0 when it reported none.
ALTER TABLE usage_events
  ADD COLUMN reasoning_tokens   integer NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
  ADD COLUMN cache_read_tokens  integer NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
  ADD COLUMN cache_write_tokens integer NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0);
