-- The agents' pages list the agents (owner filters and choices) on every request; without
-- an index that read every user, customers included. A partial index holds the agents only.
CREATE INDEX users_agents_idx ON users (id) WHERE kind = 'agent';
