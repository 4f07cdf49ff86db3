select * from read_parquet('sources/warehouse/complaints_by_reason.parquet')
