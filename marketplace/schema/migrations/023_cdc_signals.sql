-- Signals to change capture, in Debezium's shape: a row asks for an incremental snapshot of some
-- tables (execute-snapshot), or pauses, resumes or stops it; the reader also writes its chunk
-- watermarks here. Either engine reads the same table (Debezium's signal.data.collection).
CREATE TABLE IF NOT EXISTS cdc_signals (
  id VARCHAR(42) NOT NULL PRIMARY KEY,
  type VARCHAR(32) NOT NULL,
  data VARCHAR(2048) NULL
);
