select * from read_parquet('sources/warehouse/top_sellers.parquet')
