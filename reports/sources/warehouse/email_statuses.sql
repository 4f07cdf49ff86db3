select * from read_parquet('sources/warehouse/email_statuses.parquet')
