/** A Map that keeps at most `capacity` entries, dropping the least recently used. */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  /** The entry for `key`, created by `make` if absent; either way it becomes the most recent. */
  obtain(key: K, make: () => V): V {
    let value = this.entries.get(key);
    if (value !== undefined) this.entries.delete(key);
    else value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** The entries, least recently used first (deleting one while iterating is safe). */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries[Symbol.iterator]();
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
