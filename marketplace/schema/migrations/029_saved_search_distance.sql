-- Saved searches near a city (as search's `near` and `within_km`): the city's point as it was
-- resolved when the search was saved, the radius, and the city as the search named it. All NULL
-- for a search without a place; a radius needs a point. A distance alert matches only listings
-- with coordinates (migration 027) within the radius.
ALTER TABLE saved_searches
  ADD COLUMN near_label VARCHAR(120) NULL AFTER category,
  ADD COLUMN latitude DOUBLE NULL AFTER near_label,
  ADD COLUMN longitude DOUBLE NULL AFTER latitude,
  ADD COLUMN within_km DOUBLE NULL AFTER longitude;
