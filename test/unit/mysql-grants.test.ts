// SHOW GRANTS lines as MariaDB and MySQL 8 print them, turned into the capabilities a migration needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGrant, privilegeChecks } from '../../src/engines/mysql/grants';

const granted = (lines: string[], schema: string | null = 'shop') =>
  Object.fromEntries(privilegeChecks(lines, schema).map((p) => [p.capability.split(' (')[0], p.granted]));

test('parses privileges, column lists, quoted names and object types', () => {
  assert.deepEqual(
    parseGrant(
      'GRANT SELECT (`a, b`, `c`), INSERT, SHOW VIEW ON `my``db`.`t ON x` TO `u`@`%` WITH GRANT OPTION',
    ),
    { revoke: false, privileges: ['SELECT', 'INSERT', 'SHOW VIEW'], database: 'my`db', table: 't ON x' },
  );
  assert.deepEqual(parseGrant("GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*ABC'"), {
    revoke: false,
    privileges: ['USAGE'],
    database: '*',
    table: '*',
  });
  assert.equal(parseGrant('GRANT `app_role` TO `u`@`%`'), null, 'role grants carry no object privileges');
  assert.equal(parseGrant('GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION'), null);
  assert.equal(parseGrant('GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`'), null);
});

test('ALL PRIVILEGES on *.* grants everything and says so', () => {
  const checks = privilegeChecks(
    [
      "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING '*SECRETHASH' WITH GRANT OPTION",
    ],
    'shop',
  );
  for (const c of checks) {
    assert.equal(c.granted, true, c.capability);
    assert.match(c.detail, /ALL PRIVILEGES ON \*\.\*/);
    assert.ok(!c.detail.includes('SECRETHASH'), 'authentication data never reaches the detail');
  }
});

test('schema-level grants cover schema capabilities only; wildcards and escapes match like LIKE', () => {
  assert.deepEqual(granted(['GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`']), {
    'create triggers': true,
    'create tables in the schema': true,
    'set the server read-only and write through it': false,
    'read the binlog': false,
    'see every session and transaction': false,
  });
  assert.equal(granted(['GRANT TRIGGER, CREATE ON `sh_p`.* TO `u`@`%`'])['create triggers'], true);
  assert.equal(
    granted(['GRANT TRIGGER ON `sh\\_p`.* TO `u`@`%`'])['create triggers'],
    false,
    '\\_ is a literal _',
  );
  assert.equal(granted(['GRANT TRIGGER ON `s%`.* TO `u`@`%`'])['create triggers'], true);
  assert.equal(granted(['GRANT TRIGGER ON `other`.* TO `u`@`%`'])['create triggers'], false);
  assert.equal(
    granted(['GRANT TRIGGER ON `shop`.`orders` TO `u`@`%`'])['create triggers'],
    false,
    'one table is not the schema',
  );
  assert.equal(granted(['GRANT TRIGGER ON `shop`.* TO `u`@`%`'], null)['create triggers'], false);
});

test('global capabilities: MySQL 8 dynamic privileges and MariaDB names', () => {
  const mysql8 = granted([
    'GRANT SELECT, RELOAD, PROCESS, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`',
    'GRANT SYSTEM_VARIABLES_ADMIN ON *.* TO `cdc`@`%`',
  ]);
  assert.equal(mysql8['read the binlog'], true);
  // It may set read_only, but the reverse applier could not write through it: no read-only fence.
  assert.equal(mysql8['set the server read-only and write through it'], false);
  assert.equal(mysql8['create triggers'], false);
  const mysql8Admin = granted(['GRANT SYSTEM_VARIABLES_ADMIN,CONNECTION_ADMIN ON *.* TO `cdc`@`%`']);
  assert.equal(mysql8Admin['set the server read-only and write through it'], true);
  const mariadb = granted(['GRANT REPLICATION SLAVE, BINLOG MONITOR, READ_ONLY ADMIN ON *.* TO `cdc`@`%`']);
  assert.equal(mariadb['read the binlog'], true);
  assert.equal(mariadb['set the server read-only and write through it'], true);
  assert.equal(
    granted(['GRANT REPLICATION SLAVE ON *.* TO `cdc`@`%`'])['read the binlog'],
    false,
    'needs both',
  );
});

test('a partial revoke (MySQL 8) takes the schema back', () => {
  const lines = ['GRANT TRIGGER, CREATE ON *.* TO `u`@`%`', 'REVOKE TRIGGER ON `shop`.* FROM `u`@`%`'];
  assert.equal(granted(lines)['create triggers'], false);
  assert.equal(granted(lines)['create tables in the schema'], true);
});

test('a missing capability names what is missing and what the user has', () => {
  const [triggers] = privilegeChecks(
    ['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT SELECT ON `shop`.* TO `u`@`%`'],
    'shop',
  );
  assert.equal(triggers?.granted, false);
  assert.equal(
    triggers?.detail,
    'no grant of TRIGGER (or ALL PRIVILEGES) on *.* or `shop`.*; the user has: USAGE ON *.*; SELECT ON `shop`.*',
  );
});
