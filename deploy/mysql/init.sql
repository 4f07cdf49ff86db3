-- The platform's MySQL user: its own database, plus what change capture (built-in or Debezium's
-- connector, which logs in as this user too) and backups need: reading the binlog as a replica
-- does, the brief global read lock that starts a snapshot, and listing the databases.
CREATE USER IF NOT EXISTS 'steveslist'@'%' IDENTIFIED BY 'steveslist-change-me';
GRANT ALL PRIVILEGES ON steveslist.* TO 'steveslist'@'%';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, RELOAD, PROCESS, SHOW DATABASES ON *.* TO 'steveslist'@'%';
FLUSH PRIVILEGES;
