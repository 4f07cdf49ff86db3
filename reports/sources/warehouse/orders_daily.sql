select * from read_parquet('sources/warehouse/orders_daily.parquet')
