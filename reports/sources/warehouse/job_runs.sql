select * from read_parquet('sources/warehouse/job_runs.parquet')
