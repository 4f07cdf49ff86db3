select * from read_parquet('sources/warehouse/gmv_by_category.parquet')
