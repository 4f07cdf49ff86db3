-- Listing coordinates (issue 27, distances): the point of the listing's city from the world-cities
-- gazetteer, so search can filter and sort by distance. NULL when the gazetteer does not know the
-- city. The gazetteer lives in the application, not in SQL: rows that exist when this migration is
-- applied get their coordinates from the application right after it (start-up, `steveslist migrate`).
ALTER TABLE listings
  ADD COLUMN latitude DOUBLE NULL AFTER city,
  ADD COLUMN longitude DOUBLE NULL AFTER latitude;
