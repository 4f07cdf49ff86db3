select * from read_parquet('sources/warehouse/capture_delay.parquet')
