// A sample MySQL/MariaDB shop database with the awkward data real ones have: TINYINT(1) holding 2,
// unsigned and BIGINT UNSIGNED keys, zero and partial dates, '' in ENUMs, _ci unique emails, NUL
// bytes and emoji in text, \u0000 in JSON, SET, spatial, generated columns, FULLTEXT and prefix
// indexes, identifiers over 63 bytes, index names repeated across tables, an FK to a non-unique
// key, an FK cycle, a table without a primary key, a MyISAM table, triggers, a view, routines and
// an event. Used by the demo and the tests.
import mysql from 'mysql2/promise';

const LONG_TABLE = 'customer_marketing_preferences_by_channel_and_region_and_history'; // 64 bytes: fine on MySQL, not on PostgreSQL

const DDL = [
  `CREATE TABLE customers (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
    name VARCHAR(100) NOT NULL,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    loyalty_points BIGINT UNSIGNED NOT NULL DEFAULT 0,
    country CHAR(2) CHARACTER SET latin1 NOT NULL DEFAULT 'US',
    status ENUM('active','suspended','closed') NOT NULL DEFAULT 'active',
    birthday DATE NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login TIMESTAMP NULL DEFAULT NULL,
    notes TEXT NULL,
    prefs JSON NULL,
    UNIQUE KEY uq_email (email),
    KEY idx_created (created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='people who buy things'`,
  `CREATE TABLE products (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    sku VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT NULL,
    price DECIMAL(10,2) NOT NULL,
    weight_kg FLOAT NULL,
    tags SET('new','sale','gift') NOT NULL DEFAULT '',
    image BLOB NULL,
    uuid BINARY(16) NOT NULL,
    price_with_tax DECIMAL(12,2) AS (price * 1.2) STORED,
    title_upper VARCHAR(200) AS (UPPER(title)) VIRTUAL,
    UNIQUE KEY uq_sku (sku),
    KEY idx_title_prefix (title(10)),
    FULLTEXT KEY ft_description (description)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE orders (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id INT UNSIGNED NOT NULL,
    external_ref VARCHAR(32) NOT NULL,
    placed_at DATETIME(6) NOT NULL,
    total DECIMAL(12,2) NOT NULL,
    delivery_window TIME NULL,
    status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
    KEY idx_created (placed_at),
    KEY idx_external_ref (external_ref),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE order_items (
    order_id INT UNSIGNED NOT NULL,
    line_no SMALLINT UNSIGNED NOT NULL,
    product_id BIGINT UNSIGNED NOT NULL,
    qty SMALLINT UNSIGNED NOT NULL,
    unit_price DECIMAL(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT chk_qty CHECK (qty > 0)
  ) ENGINE=InnoDB`,
  `CREATE TABLE shipments (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_ref VARCHAR(32) NOT NULL,
    shipped_on DATE NOT NULL,
    CONSTRAINT fk_shipments_order_ref FOREIGN KEY (order_ref) REFERENCES orders (external_ref)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE warehouses (
    id INT NOT NULL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    location POINT NOT NULL,
    manager_id INT NULL,
    SPATIAL KEY sp_location (location)
  ) ENGINE=InnoDB`,
  `CREATE TABLE employees (
    id INT NOT NULL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    warehouse_id INT NULL,
    manager_id INT NULL,
    CONSTRAINT fk_employees_warehouse FOREIGN KEY (warehouse_id) REFERENCES warehouses (id),
    CONSTRAINT fk_employees_manager FOREIGN KEY (manager_id) REFERENCES employees (id)
  ) ENGINE=InnoDB`,
  `ALTER TABLE warehouses ADD CONSTRAINT fk_warehouses_manager FOREIGN KEY (manager_id) REFERENCES employees (id)`,
  `CREATE TABLE audit_log (
    logged_at DATETIME NOT NULL,
    actor VARCHAR(64) NULL,
    message TEXT NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE legacy_sessions (
    token CHAR(32) NOT NULL PRIMARY KEY,
    customer_id INT UNSIGNED NULL,
    expires_at INT UNSIGNED NOT NULL
  ) ENGINE=MyISAM`,
  `CREATE TABLE \`${LONG_TABLE}\` (
    customer_id INT UNSIGNED NOT NULL,
    channel ENUM('email','sms','push') NOT NULL,
    opted_in TINYINT(1) NOT NULL,
    PRIMARY KEY (customer_id, channel),
    KEY idx_created (opted_in)
  ) ENGINE=InnoDB`,
  `CREATE TRIGGER trg_orders_total BEFORE INSERT ON orders FOR EACH ROW
     SET NEW.total = GREATEST(NEW.total, 0)`,
  `CREATE VIEW active_customers AS SELECT id, email FROM customers WHERE is_active = 1`,
  `CREATE FUNCTION order_total(p_order INT UNSIGNED) RETURNS DECIMAL(12,2) READS SQL DATA
     RETURN (SELECT COALESCE(SUM(qty * unit_price), 0) FROM order_items WHERE order_id = p_order)`,
  `CREATE PROCEDURE close_stale_orders() MODIFIES SQL DATA
     UPDATE orders SET status = 'cancelled' WHERE status = 'new' AND placed_at < NOW() - INTERVAL 30 DAY`,
  `CREATE EVENT ev_purge_sessions ON SCHEDULE EVERY 1 HOUR DISABLE
     DO DELETE FROM legacy_sessions WHERE expires_at < UNIX_TIMESTAMP()`,
];

/** Deterministic pseudo-random numbers, so every sample database is the same. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 0x100000000;
  };
}

async function insertMany(conn: mysql.Connection, sql: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await conn.query(sql, [chunk]);
  }
}

export interface SampleShopOptions {
  /** Number of customers; everything else scales from it. */
  customers?: number;
}

/** (Re)create `database` on the MySQL server at `adminUrl` and fill it with the sample shop. */
export async function createSampleShop(
  adminUrl: string,
  database: string,
  options: SampleShopOptions = {},
): Promise<void> {
  const customers = options.customers ?? 2000;
  const rand = rng(42);
  const conn = await mysql.createConnection({ uri: adminUrl, dateStrings: true, multipleStatements: false });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database.replace(/`/g, '``')}\``);
    await conn.query(
      `CREATE DATABASE \`${database.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
    );
    await conn.query(`USE \`${database.replace(/`/g, '``')}\``);
    // Non-strict mode, as many legacy servers run: it lets zero dates and '' enum values in.
    await conn.query(`SET SESSION sql_mode = ''`);
    await conn.query(`SET SESSION time_zone = '+00:00'`);
    for (const ddl of DDL) await conn.query(ddl);

    const customerRows: unknown[][] = [];
    for (let i = 1; i <= customers; i++) {
      const zeroDate = i % 97 === 0;
      customerRows.push([
        i,
        i % 50 === 0 ? `User${i}@Example.com` : `user${i}@example.com`,
        i % 31 === 0 ? `Zoë 😀 ${i}` : `Customer ${i}`,
        i % 211 === 0 ? 2 : i % 3 === 0 ? 0 : 1,
        i === 1 ? '18446744073709551615' : String(Math.floor(rand() * 100000)),
        ['US', 'DE', 'FR', 'JP'][i % 4],
        i % 401 === 0 ? '' : ['active', 'suspended', 'closed'][i % 3],
        zeroDate ? '1990-00-00' : `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
        zeroDate ? '0000-00-00 00:00:00' : `2024-0${1 + (i % 9)}-1${i % 10} 1${i % 10}:00:00`,
        i % 5 === 0 ? null : `2025-01-0${1 + (i % 9)} 12:00:00`,
        i % 307 === 0 ? `has a NUL\u0000byte` : i % 13 === 0 ? `trailing space ` : `note ${i}`,
        i % 499 === 0
          ? `{"nick":"bad\\u0000nick","b":1,"a":2}`
          : JSON.stringify({ theme: i % 2 ? 'dark' : 'light', b: 1, a: 2 }),
      ]);
    }
    await insertMany(
      conn,
      `INSERT INTO customers (id, email, name, is_active, loyalty_points, country, status, birthday, created_at, last_login, notes, prefs) VALUES ?`,
      customerRows,
    );

    const products = Math.max(10, Math.floor(customers / 4));
    const productRows: unknown[][] = [];
    for (let i = 1; i <= products; i++) {
      const uuid = Buffer.alloc(16);
      uuid.writeUInt32BE(i, 12);
      productRows.push([
        i === products ? '18446744073709551615' : String(i),
        `SKU-${i}`,
        `Product ${i} ${'x'.repeat(i % 20)}`,
        i % 10 === 0 ? null : `A fine product number ${i}, with tabs\tand\nnewlines`,
        (rand() * 1000).toFixed(2),
        rand() * 10,
        ['', 'new', 'sale', 'new,gift'][i % 4],
        i % 7 === 0 ? Buffer.from([0, 1, 2, 255, 0]) : null,
        uuid,
      ]);
    }
    await insertMany(
      conn,
      `INSERT INTO products (id, sku, title, description, price, weight_kg, tags, image, uuid) VALUES ?`,
      productRows,
    );

    const orders = customers * 2;
    const orderRows: unknown[][] = [];
    const itemRows: unknown[][] = [];
    for (let i = 1; i <= orders; i++) {
      orderRows.push([
        i,
        1 + (i % customers),
        `R${i % (orders / 2)}`, // every reference appears twice: external_ref is not unique
        `2025-0${1 + (i % 9)}-1${i % 10} 08:00:00.${String(i % 1000000).padStart(6, '0')}`,
        (rand() * 500).toFixed(2),
        i % 1000 === 0 ? '838:59:59' : `0${i % 10}:30:00`,
        ['new', 'paid', 'shipped', 'cancelled'][i % 4],
      ]);
      for (let line = 1; line <= 2; line++) {
        itemRows.push([
          i,
          line,
          String(1 + ((i + line) % (products - 1))),
          1 + (i % 5),
          (rand() * 100).toFixed(2),
        ]);
      }
    }
    await insertMany(
      conn,
      `INSERT INTO orders (id, customer_id, external_ref, placed_at, total, delivery_window, status) VALUES ?`,
      orderRows,
    );
    await insertMany(
      conn,
      `INSERT INTO order_items (order_id, line_no, product_id, qty, unit_price) VALUES ?`,
      itemRows,
    );
    await insertMany(
      conn,
      `INSERT INTO shipments (order_ref, shipped_on) VALUES ?`,
      Array.from({ length: Math.floor(orders / 4) }, (_, i) => [
        `R${i}`,
        `2025-02-${String(1 + (i % 28)).padStart(2, '0')}`,
      ]),
    );

    await conn.query(
      `INSERT INTO warehouses (id, name, location) VALUES (1, 'North', ST_GeomFromText('POINT(10 59)')), (2, 'South', ST_GeomFromText('POINT(12 41)'))`,
    );
    await conn.query(
      `INSERT INTO employees (id, name, warehouse_id, manager_id) VALUES (1, 'Ada', 1, NULL), (2, 'Grace', 2, 1), (3, 'Linus', 1, 1)`,
    );
    await conn.query(`UPDATE warehouses SET manager_id = id`);
    await insertMany(
      conn,
      `INSERT INTO audit_log (logged_at, actor, message) VALUES ?`,
      Array.from({ length: customers }, (_, i) => [
        `2025-03-01 00:00:${String(i % 60).padStart(2, '0')}`,
        i % 2 ? 'system' : null,
        `event ${i}`,
      ]),
    );
    await insertMany(
      conn,
      `INSERT INTO legacy_sessions (token, customer_id, expires_at) VALUES ?`,
      Array.from({ length: Math.floor(customers / 10) }, (_, i) => [
        `${String(i).padStart(32, '0')}`,
        1 + i,
        1700000000 + i,
      ]),
    );
    await insertMany(
      conn,
      `INSERT INTO \`${LONG_TABLE}\` (customer_id, channel, opted_in) VALUES ?`,
      Array.from({ length: customers }, (_, i) => [1 + i, ['email', 'sms', 'push'][i % 3], i % 2]),
    );
    await conn.query('ANALYZE TABLE customers, products, orders, order_items, shipments, audit_log');
  } finally {
    await conn.end();
  }
}
