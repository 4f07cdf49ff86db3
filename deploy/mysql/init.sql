-- The platform's MySQL user: its own database, plus what change capture and backups need
-- (reading the binlog as a replica does, and flushing it).
CREATE USER IF NOT EXISTS 'steveslist'@'%' IDENTIFIED BY 'steveslist-change-me';
GRANT ALL PRIVILEGES ON steveslist.* TO 'steveslist'@'%';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, RELOAD, PROCESS ON *.* TO 'steveslist'@'%';
FLUSH PRIVILEGES;
