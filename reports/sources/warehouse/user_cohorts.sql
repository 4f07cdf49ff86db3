select * from read_parquet('sources/warehouse/user_cohorts.parquet')
