select * from read_parquet('sources/warehouse/funnel_cohorts.parquet')
