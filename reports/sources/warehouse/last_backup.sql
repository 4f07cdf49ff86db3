select * from read_parquet('sources/warehouse/last_backup.parquet')
