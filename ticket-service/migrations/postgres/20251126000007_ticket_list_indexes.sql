-- Indexes measured with tests/bench/tickets.sh (100,000 tickets):
-- * follow-ups: almost every ticket has refers_to NULL, so after ANALYZE a plain index on
--   it looks useless to the planner, which then scanned the whole table for every ticket
--   page (7 ms). A partial index holds only the tickets that refer to another one.
-- * a ticket's files are read by ticket; without an index that was a scan of every file.
-- * lists by company and state (the customers' list and its count) are answered from the
--   index, in order of last change.
DROP INDEX tickets_refers_idx;
CREATE INDEX tickets_refers_idx ON tickets (refers_to) WHERE refers_to IS NOT NULL;
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id, id);
DROP INDEX tickets_company_idx;
CREATE INDEX tickets_company_idx ON tickets (company_id, state, changed_at);
