-- Saved searches with alerts (issue 24): a user's query and filters, matched against every new
-- or changed active listing by the search-alerts worker's percolator.
CREATE TABLE saved_searches (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NOT NULL,
  -- The query as the search box took it; NULL when the search is filters only.
  q VARCHAR(200) NULL,
  country CHAR(2) NULL,
  city VARCHAR(100) NULL,
  category VARCHAR(50) NULL,
  min_price BIGINT UNSIGNED NULL,
  max_price BIGINT UNSIGNED NULL,
  -- Unsubscribing (the email's link) stops the emails; the search itself stays until deleted.
  alerts_enabled TINYINT(1) NOT NULL DEFAULT 1,
  -- The site's address the search was saved from: the alert email's links point there.
  site_url VARCHAR(300) NOT NULL,
  -- The digest's clock: at most one email per search per 15 minutes.
  last_emailed_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_saved_searches_user (user_id, created_at),
  CONSTRAINT fk_saved_searches_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (search, listing): a redelivered or re-edited listing never alerts twice. A match
-- waits with emailed_at NULL until its search's next digest.
CREATE TABLE saved_search_matches (
  saved_search_id BIGINT UNSIGNED NOT NULL,
  listing_id BIGINT UNSIGNED NOT NULL,
  -- When the listing's change was committed at the source, and when the match was queued.
  committed_at DATETIME(6) NULL,
  matched_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  emailed_at DATETIME(6) NULL,
  PRIMARY KEY (saved_search_id, listing_id),
  KEY ix_saved_search_matches_pending (emailed_at, saved_search_id),
  CONSTRAINT fk_saved_search_matches_search FOREIGN KEY (saved_search_id) REFERENCES saved_searches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The key that signs one-click unsubscribe links, made on first use and shared by the API and
-- the alerts worker through the database. Change capture never copies the secret column.
CREATE TABLE saved_search_link_keys (
  id TINYINT UNSIGNED NOT NULL,
  secret VARCHAR(100) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
