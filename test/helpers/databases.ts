// Real databases for tests: each test creates its own uniquely named database and drops it after.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.CUTOVER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.CUTOVER_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

export function uniqueName(prefix = 'cutover_t'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  /** Connection URL of the new database (admin credentials). */
  url: string;
  drop(): Promise<void>;
}

export async function createPostgresDatabase(prefix?: string): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(PG_ADMIN_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function createMysqlDatabase(prefix?: string): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection(MYSQL_ADMIN_URL);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(MYSQL_ADMIN_URL, name),
    async drop() {
      const c = await mysql.createConnection(MYSQL_ADMIN_URL);
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}

/** Run SQL statements one by one on a fresh connection (multi-statement scripts, DDL). */
export async function execMysql(url: string, statements: string[]): Promise<void> {
  const c = await mysql.createConnection({ uri: url });
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

export async function execPostgres(url: string, statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

/** The URL with other credentials (and optionally another database). */
export function withCredentials(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

/** A MySQL user with a password and every right on one database; drop() removes it. */
export async function createMysqlUser(
  database: string,
  user: string,
  password: string,
): Promise<{ drop(): Promise<void> }> {
  const hosts = ['%', 'localhost'];
  await execMysql(
    MYSQL_ADMIN_URL,
    hosts.flatMap((h) => [
      `CREATE USER '${user}'@'${h}' IDENTIFIED BY '${password}'`,
      `GRANT ALL ON \`${database}\`.* TO '${user}'@'${h}'`,
    ]),
  );
  return {
    drop: () =>
      execMysql(
        MYSQL_ADMIN_URL,
        hosts.map((h) => `DROP USER IF EXISTS '${user}'@'${h}'`),
      ).catch(() => undefined),
  };
}
