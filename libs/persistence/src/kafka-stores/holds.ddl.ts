/**
 * Tables of the per-case holds, for the consuming service's migration. One row per case key in
 * `held_cases` (reopened when the case blocks again), and the messages waiting behind it in
 * `held_messages`, in arrival order, with the blocker they wait for.
 */
export const HELD_CASES_DDL = `CREATE TABLE IF NOT EXISTS held_cases (
  case_key VARCHAR(200) NOT NULL,
  status VARCHAR(20) NOT NULL,
  blocker_ref VARCHAR(300) NOT NULL,
  blocker_event_id VARCHAR(64) NULL,
  blocker_topic VARCHAR(249) NOT NULL,
  blocker_partition INT NOT NULL,
  blocker_offset BIGINT NOT NULL,
  blocker_value LONGBLOB NULL,
  blocker_headers MEDIUMTEXT NOT NULL,
  forward_topic VARCHAR(249) NOT NULL,
  forward_headers MEDIUMTEXT NOT NULL,
  error_code VARCHAR(100) NOT NULL,
  error_message TEXT NULL,
  resolution VARCHAR(20) NULL,
  opened_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  lease_until DATETIME(3) NULL,
  closed_at DATETIME(3) NULL,
  PRIMARY KEY (case_key),
  KEY idx_held_cases_status (status, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

export const HELD_MESSAGES_DDL = `CREATE TABLE IF NOT EXISTS held_messages (
  id BIGINT NOT NULL AUTO_INCREMENT,
  case_key VARCHAR(200) NOT NULL,
  event_id VARCHAR(64) NULL,
  topic VARCHAR(249) NOT NULL,
  partition_no INT NOT NULL,
  offset_no BIGINT NOT NULL,
  message_value LONGBLOB NULL,
  headers MEDIUMTEXT NOT NULL,
  waits_for_ref VARCHAR(300) NOT NULL,
  waits_for_event_id VARCHAR(64) NULL,
  status VARCHAR(20) NOT NULL,
  held_at DATETIME(3) NOT NULL,
  done_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_held_messages_origin (topic, partition_no, offset_no),
  KEY idx_held_messages_case (case_key, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

export const HOLDS_DDL = [HELD_CASES_DDL, HELD_MESSAGES_DDL];
