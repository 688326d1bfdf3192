#!/usr/bin/env bash
# Start the machine's PostgreSQL and MariaDB when they are down (fresh CI runs, new sessions) and
# wait until both accept connections. Used by .ci/run, the test runner and the demo.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
my_up() { mysqladmin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }

if ! pg_up; then
  echo "ensure-databases: starting PostgreSQL" >&2
  for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
fi
if ! my_up; then
  echo "ensure-databases: starting MariaDB" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 60); do
  if pg_up && my_up; then exit 0; fi
  sleep 1
done
pg_up || echo "ensure-databases: PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2
my_up || echo "ensure-databases: MariaDB is not accepting connections on 127.0.0.1:3306" >&2
exit 1
