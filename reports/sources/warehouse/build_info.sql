select * from read_parquet('sources/warehouse/build_info.parquet')
