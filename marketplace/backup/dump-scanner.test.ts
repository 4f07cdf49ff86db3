import { describe, expect, it } from 'vitest';
import { DumpScanner } from './dump-scanner.js';

const DUMP = [
  '-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)',
  '-- Server version\t10.11.6-MariaDB-0+deb12u1-log',
  "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=4512;",
  "-- SET GLOBAL gtid_slave_pos='0-1-77';",
  'CREATE TABLE `listings` (',
  'CREATE TABLE `empty_one` (',
  "INSERT INTO `listings` VALUES (1,'a, (b)','it''s'),(2,'back\\\\slash\\' (quote)',NULL);",
  "INSERT INTO `listings` VALUES (3,'x\\ny',0x00FF);",
  'INSERT INTO `users` VALUES',
  "(1,'a@b.c','A;B'),",
  "(2,'c@d.e','x');",
  '/*!40000 ALTER TABLE `users` ENABLE KEYS */;',
].join('\n');

function scan(text: string, chunk: number): DumpScanner {
  const scanner = new DumpScanner();
  for (let i = 0; i < text.length; i += chunk) scanner.push(text.slice(i, i + chunk));
  scanner.end();
  return scanner;
}

describe('dump scanner', () => {
  it('reads the coordinates, the server and each table\'s rows, however the stream is cut', () => {
    const whole = scan(DUMP, DUMP.length);
    expect(whole.binlog).toEqual({ file: 'mysql-bin.000003', position: 4512, gtid: '0-1-77' });
    expect(whole.server).toBe('10.11.6-MariaDB-0+deb12u1-log');
    expect(whole.digests()).toEqual({
      empty_one: { rows: 0, digest: '0000000000000000' },
      listings: { rows: 3, digest: expect.stringMatching(/^[0-9a-f]{16}$/) },
      users: { rows: 2, digest: expect.stringMatching(/^[0-9a-f]{16}$/) },
    });
    for (const chunk of [1, 7, 64]) expect(scan(DUMP, chunk).digests()).toEqual(whole.digests());
  });

  it("reads MySQL 8's CHANGE REPLICATION SOURCE TO coordinates", () => {
    const mysql = scan("-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000012', SOURCE_LOG_POS=157;\n", 9);
    expect(mysql.binlog).toEqual({ file: 'binlog.000012', position: 157 });
  });

  it('gives the same digest for the same rows in another order, and another for other rows', () => {
    const a = scan("CREATE TABLE `t` (\nINSERT INTO `t` VALUES (1,'x'),(2,'y');", 5).digests();
    const b = scan("CREATE TABLE `t` (\nINSERT INTO `t` VALUES (2,'y');\nINSERT INTO `t` VALUES (1,'x');", 5).digests();
    const c = scan("CREATE TABLE `t` (\nINSERT INTO `t` VALUES (1,'x'),(2,'z');", 5).digests();
    expect(b).toEqual(a);
    expect(c.t!.rows).toBe(2);
    expect(c.t!.digest).not.toBe(a.t!.digest);
  });
});
