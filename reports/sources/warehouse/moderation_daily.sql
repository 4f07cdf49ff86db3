select * from read_parquet('sources/warehouse/moderation_daily.parquet')
