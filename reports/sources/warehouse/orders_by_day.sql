select * from read_parquet('sources/warehouse/orders_by_day.parquet')
