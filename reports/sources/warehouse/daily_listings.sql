select * from read_parquet('sources/warehouse/daily_listings.parquet')
