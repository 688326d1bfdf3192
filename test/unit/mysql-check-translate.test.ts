// MySQL/MariaDB CHECK expressions (as information_schema prints them) translated to PostgreSQL:
// what is translated and how, what is refused and why, hostile strings and identifiers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkColumnMap,
  translateMysqlCheck,
  type CheckColumn,
} from '../../src/dataplane/schema/mysql-check-to-postgres';
import { col } from '../helpers/model-fixtures';

const columns = checkColumnMap([
  { source: col('qty', 'smallint(5) unsigned'), target: 'qty', targetType: 'integer' },
  { source: col('a', 'int(11)'), target: 'a', targetType: 'integer' },
  { source: col('b', 'smallint(6)'), target: 'b', targetType: 'smallint' },
  { source: col('price', 'decimal(10,2)'), target: 'price', targetType: 'numeric(10,2)' },
  { source: col('ratio', 'double'), target: 'ratio', targetType: 'double precision' },
  { source: col('weight', 'float'), target: 'weight', targetType: 'real' },
  { source: col('status', 'varchar(10)'), target: 'status', targetType: 'character varying(10)' },
  {
    source: col('code', 'varchar(10)', { collation: 'utf8mb4_bin' }),
    target: 'code',
    targetType: 'character varying(10)',
  },
  {
    source: col('tag', 'varchar(10)', { collation: 'utf8mb4_nopad_bin' }),
    target: 'tag',
    targetType: 'character varying(10)',
  },
  { source: col('cc', 'char(2)', { collation: 'latin1_bin' }), target: 'cc', targetType: 'character(2)' },
  { source: col('cs', 'varchar(10)', { collation: 'latin1_general_cs' }), target: 'cs', targetType: 'text' },
  { source: col('kind', "enum('x','y')"), target: 'kind', targetType: '"public"."t_kind"' },
  { source: col('flag', 'tinyint(1)'), target: 'flag', targetType: 'boolean' },
  { source: col('doc', 'longtext', { isJson: true }), target: 'doc', targetType: 'jsonb' },
  { source: col('gone', 'int(11)'), target: null, targetType: null },
  { source: col('we`ird "col', 'int(11)'), target: 'we`ird "col', targetType: 'integer' },
] satisfies CheckColumn[]);

const ok = (expression: string): string => {
  const r = translateMysqlCheck(expression, columns);
  assert.ok(r.ok, `${expression}: ${r.ok ? '' : r.reason}`);
  return r.sql;
};
const refused = (expression: string): string => {
  const r = translateMysqlCheck(expression, columns);
  assert.ok(!r.ok, `${expression} was translated to ${r.ok ? r.sql : ''}`);
  return r.reason;
};

test('numbers: comparisons, BETWEEN, IN, IS NULL with MySQL precedence and NULL/TRUE/FALSE', () => {
  assert.equal(ok('`qty` > 0 and `qty` <= 1000'), '(("qty" > 0) AND ("qty" <= 1000))');
  // MariaDB prints without redundant parentheses: AND binds tighter than OR, BETWEEN's AND is its own.
  assert.equal(
    ok('`price` between 0 and 10 and `price` is not null or `qty` <> 3'),
    '((("price" BETWEEN 0 AND 10) AND ("price" IS NOT NULL)) OR ("qty" <> 3))',
  );
  assert.equal(ok('(`a` > 1 or `b` > 1) and `a` != 2'), '((("a" > 1) OR ("b" > 1)) AND ("a" <> 2))');
  assert.equal(ok('not `a` > 1'), '(NOT ("a" > 1))', 'NOT is looser than a comparison');
  assert.equal(ok('`a` not in (1,2,NULL)'), '("a" NOT IN (1, 2, NULL))');
  assert.equal(ok('`qty` not between 1 and 2'), '("qty" NOT BETWEEN 1 AND 2)');
  assert.equal(ok('`a` <=> `b`'), '("a" IS NOT DISTINCT FROM "b")');
  assert.equal(ok('`price` > 1.50 and `ratio` < .5'), '(("price" > 1.50) AND ("ratio" < .5))');
  assert.equal(ok('`a` = TRUE or `a` = false'), '(("a" = 1) OR ("a" = 0))', 'TRUE is 1 on MySQL');
  // MariaDB prints TRUE as 1 where a condition stands; any non-zero number is true.
  assert.equal(ok('`a` > 0 and 1'), '(("a" > 0) AND TRUE)');
  assert.equal(ok('0 or `a` is null'), '(FALSE OR ("a" IS NULL))');
  assert.equal(ok('`price`'), '("price" <> 0)');
  assert.equal(ok('`a` is null is true'), '(("a" IS NULL) IS TRUE)');
  assert.equal(ok('!(`a` = 1) && `b` = 2'), '((NOT ("a" = 1)) AND ("b" = 2))');
  assert.equal(ok('`A` > 0 and `QTY` > 0'), '(("a" > 0) AND ("qty" > 0))', 'column names ignore case');
  assert.equal(ok('`kind` is not null and `flag` is null'), '(("kind" IS NOT NULL) AND ("flag" IS NULL))');
});

test('arithmetic runs in bigint as on MySQL; abs, coalesce, char_length', () => {
  assert.equal(ok('`a` * `b` < 100000'), '((CAST("a" AS bigint) * CAST("b" AS bigint)) < 100000)');
  assert.equal(ok('--`a` < 3'), '((- (- CAST("a" AS bigint))) < 3)', '-- without a space is two minus signs');
  assert.equal(ok('`a` - -1 > 0'), '((CAST("a" AS bigint) - (- 1)) > 0)');
  assert.equal(
    ok('`price` * 2 - `a` >= 0'),
    '((("price" * 2) - "a") >= 0)',
    'decimal arithmetic is exact on both',
  );
  assert.equal(ok('abs(`a`) < 10'), '(abs(CAST("a" AS bigint)) < 10)');
  // Constants alone too: PostgreSQL would compute 2147483647 + 1 in integer and fail.
  assert.equal(ok('`a` > 2147483647 + 1'), '("a" > (CAST(2147483647 AS bigint) + 1))');
  assert.equal(ok('1 - `a` < 0'), '((1 - CAST("a" AS bigint)) < 0)');
  assert.equal(ok('`a` > 0 and -0'), '(("a" > 0) AND FALSE)', '-0 is false');
  assert.equal(ok('coalesce(`a`,`b`,0) >= 0'), '(coalesce("a", "b", 0) >= 0)');
  assert.equal(ok('char_length(`status`) between 1 and 5'), '(char_length("status") BETWEEN 1 AND 5)');
  assert.equal(ok('CHAR_LENGTH(`cc`) = 2'), '(char_length(rtrim("cc", \' \')) = 2)');
});

test('text: binary collations only; PAD SPACE compares without trailing spaces; plain LIKE', () => {
  assert.equal(ok("`code` in ('a','b ')"), "(rtrim(\"code\", ' ') IN ('a', 'b'))");
  assert.equal(ok("`tag` <> 'x '"), '("tag" <> \'x \')', 'NO PAD: trailing spaces count');
  assert.equal(ok("`code` like 'A%'"), '("code" LIKE \'A%\')', 'LIKE does not pad');
  assert.equal(
    ok("`cc` like 'U_'"),
    "(rtrim(\"cc\", ' ') LIKE 'U_')",
    'CHAR is read without trailing spaces',
  );
  assert.equal(ok("`code` not like 'a\\\\_b%'"), '("code" NOT LIKE E\'a\\\\_b%\')');
  assert.equal(ok("_utf8mb4'x' = `code`"), "('x' = rtrim(\"code\", ' '))");
  assert.equal(ok("`code` = N'y'"), "(rtrim(\"code\", ' ') = 'y')");
  assert.equal(ok("coalesce(`code`, 'z') = 'z '"), "(rtrim(coalesce(\"code\", 'z'), ' ') = 'z')");
  assert.match(refused("`code` = coalesce(`tag`, 'z')"), /collations utf8mb4_bin and utf8mb4_nopad_bin/);
});

test('hostile strings and identifiers stay data', () => {
  // MariaDB prints quotes as \' and backslashes as \\; the value is written as a PostgreSQL literal.
  assert.equal(
    ok("`code` <> 'x\\'); DROP TABLE t; --'"),
    "(rtrim(\"code\", ' ') <> 'x''); DROP TABLE t; --')",
  );
  assert.equal(ok("`code` <> 'it''s'"), "(rtrim(\"code\", ' ') <> 'it''s')");
  assert.equal(ok("`code` <> '\\\\\\''"), "(rtrim(\"code\", ' ') <> E'\\\\''')", 'backslash, then quote');
  assert.equal(ok("`code` <> 'tab\tnl\\n'"), "(rtrim(\"code\", ' ') <> 'tab\tnl\n')");
  assert.equal(ok("`code` <> '\\\\'"), "(rtrim(\"code\", ' ') <> E'\\\\')", 'a lone backslash');
  assert.equal(ok('`we``ird "col` > 0'), '("we`ird ""col" > 0)');
  assert.match(refused("`code` <> 'a\\0b'"), /NUL/);
  assert.match(refused('`code` <> "x"'), /double-quoted/);
  assert.match(refused("`code` <> 'x' -- comment"), /comment/);
  assert.match(refused("`code` <> 'x' /* c */"), /comment/);
  assert.match(refused("`code` <> 'x' # c"), /comment/);
  assert.match(refused("`code` <> 'x"), /unterminated string/);
  assert.match(refused('`code'), /unterminated `identifier`/);
  assert.match(refused("`code` <> 'x'; drop table t"), /unexpected ";"/);
  assert.match(refused("`code` <> x'41'"), /hexadecimal or bit literal/);
  assert.match(refused('`a` <> 0x41'), /hexadecimal or bit literal/);
  assert.match(refused("`code` = _binary'x'"), /introducer _binary/);
  assert.match(refused('`f`(`a`) > 0'), /stored function/);
  assert.match(refused('`a` in (select 1)'), /subqueries/);
  assert.match(refused('`a` > 0 `b`'), /unexpected `b`/);
  assert.match(refused(`${'('.repeat(20000)}\`a\` > 0${')'.repeat(20000)}`), /nested too deeply/);
});

test('refused where the engines disagree, each with its reason', () => {
  const cases: [string, RegExp][] = [
    ["`status` in ('a','b')", /utf8mb4_general_ci, which ignores case .*'A' for 'a'/],
    ["`status` <> 'x'", /ignores case/],
    ["`status` like 'a%'", /LIKE compares text in utf8mb4_general_ci/],
    ["`cs` = 'a'", /latin1_general_cs, a linguistic collation/],
    ["`code` < 'm'", /orders text/],
    ["`code` between 'a' and 'm'", /orders text/],
    ["'a' = 'b'", /text constants only/],
    ['`code` = `status`', /collations utf8mb4_bin and utf8mb4_general_ci/],
    ["`a` = '1'", /text with a number/],
    ['`a` / 2 > 1', /divides integers into decimals/],
    ['`a` DIV 2 > 0', /DIV/],
    ['`a` MOD 2 = 0', /MOD/],
    ['`a` % 2 = 0', /MOD/],
    ["`code` regexp '^a'", /REGEXP/],
    ["`code` not regexp '^a'", /REGEXP/],
    ['lcase(`code`) = `code`', /lower\(\) follows the column character set/],
    ['length(`code`) < 5', /counts bytes/],
    ['greatest(`a`,`b`) > 0', /NULL when any argument is NULL/],
    ['json_length(`doc`) > 0', /json_length\(\) is not translated/],
    ['`a` || `b`', /PIPES_AS_CONCAT/],
    ['`a` xor `b`', /XOR/],
    ['`a` & 1', /bit operators/],
    ['`price` > 1.5e3', /floating-point literal 1\.5e3/],
    ['`weight` > 0', /FLOAT/],
    ['`flag` = 1', /tinyint\(1\) on MySQL and boolean on PostgreSQL/],
    ["`kind` = 'x'", /enum\('x','y'\) on MySQL/],
    ['`gone` > 0', /column gone is not created on the target/],
    ['`nope` > 0', /nope is not a column of the table/],
    ['current_date > 0', /current_date is not a column/],
    ['`qty` + 1 > 0', /UNSIGNED/],
    ['-`qty` < 0', /UNSIGNED/],
    ["`code` like 'a' escape '|'", /ESCAPE/],
    ["`code` like 'a\\\\q'", /uses \\ other than before/],
    ['`code` like `tag`', /not a string literal/],
    ["`code` collate utf8mb4_general_ci = 'x'", /COLLATE/],
    ["`code` = 'a' 'b'", /adjacent strings/],
    ['(`a`, `b`) = (1, 2)', /row constructors/],
    ['case when `a` > 0 then 1 end', /CASE/],
    ['`a` > 1 = (`b` > 1)', /uses a condition as a value/],
    ['`code`', /text value is used as a condition/],
    ['json_valid(`code`)', /json_valid\(\) of anything but a column that becomes json/],
  ];
  for (const [expression, reason] of cases) assert.match(refused(expression), reason, expression);
});

test("MariaDB's json_valid on a column that becomes jsonb: the type enforces it, NULL stays NULL", () => {
  assert.equal(ok('json_valid(`doc`)'), '("doc" IS NOT NULL OR NULL)');
  assert.equal(ok('`doc` is null or json_valid(`doc`)'), '(("doc" IS NULL) OR ("doc" IS NOT NULL OR NULL))');
});
