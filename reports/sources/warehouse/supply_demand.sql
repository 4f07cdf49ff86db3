select * from read_parquet('sources/warehouse/supply_demand.parquet')
