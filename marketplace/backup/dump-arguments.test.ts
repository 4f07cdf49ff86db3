import { describe, expect, it } from 'vitest';
import { coordinateArguments } from './dump-arguments.js';

describe('dump arguments', () => {
  it('asks mariadb-dump for the binlog coordinates and the GTID position', () => {
    expect(coordinateArguments('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)')).toEqual(['--master-data=2', '--gtid']);
    expect(coordinateArguments('mysqldump from 11.4.3-MariaDB, client 10.19 for Linux (x86_64)')).toEqual(['--master-data=2', '--gtid']);
  });

  it("uses MySQL mysqldump's name for the coordinates option of its release, and no GTID lines", () => {
    expect(coordinateArguments('mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)')).toEqual(['--source-data=2', '--set-gtid-purged=OFF']);
    expect(coordinateArguments('mysqldump  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)')).toEqual(['--source-data=2', '--set-gtid-purged=OFF']);
    expect(coordinateArguments('mysqldump  Ver 8.0.25 for Linux on x86_64 (MySQL Community Server - GPL)')).toEqual(['--master-data=2', '--set-gtid-purged=OFF']);
    expect(coordinateArguments('mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)')).toEqual(['--master-data=2', '--set-gtid-purged=OFF']);
  });
});
