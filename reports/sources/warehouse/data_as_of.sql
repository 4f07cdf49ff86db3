select * from read_parquet('sources/warehouse/data_as_of.parquet')
