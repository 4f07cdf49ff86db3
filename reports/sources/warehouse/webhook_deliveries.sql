select * from read_parquet('sources/warehouse/webhook_deliveries.parquet')
