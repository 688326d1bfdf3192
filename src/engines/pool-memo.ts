// A catalog read kept per connection pool: the copier and the applier need a table's column facts
// for every chunk and batch, and a catalog query each time would sit on the hot path.

/**
 * A function that reads once per pool and key. Only successful reads are kept, so a failure (a
 * table created after a refusal, a dropped connection) is read again next time.
 */
export function memoPerPool<P extends object, V>(): (
  pool: P,
  key: string,
  read: () => Promise<V>,
) => Promise<V> {
  const cache = new WeakMap<P, Map<string, Promise<V>>>();
  return (pool, key, read) => {
    let perPool = cache.get(pool);
    if (!perPool) cache.set(pool, (perPool = new Map()));
    let value = perPool.get(key);
    if (!value) {
      value = read();
      perPool.set(key, value);
      value.catch(() => perPool.delete(key));
    }
    return value;
  };
}
