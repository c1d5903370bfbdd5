import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from '../../../db/data-dir-lock.ts';
import { currentDbScope } from '../../../db/scope.ts';
import { AppError } from '../../../errors.ts';
import type { ResolvedSettings } from '../connections/types.ts';
import { clientWentAway, translateDriverError } from './errors.ts';
import { DISCOVER_SQL, groupColumns, runReadOnly, VERSION_SQL } from './postgres.ts';
import { grantsFromRows, POSTGRES_GRANTS_SQL } from './privileges.ts';
import type { DataPool } from './types.ts';

interface Warehouse {
  readonly pglite: PGlite;
  refs: number;
  /** PGlite runs one session: a promise chain serializes its transactions. */
  queue: Promise<void>;
  readonly unlock: () => void;
}

/**
 * The embedded `pglite` warehouses Tessera owns, by name: directories under the warehouse
 * directory, or in memory for in-memory apps. In-memory warehouses live as long as the app (closing
 * one would lose its data); directory ones are opened while a pool uses them and locked against a
 * second process.
 */
export class Warehouses {
  readonly #dir: string | null;
  readonly #open = new Map<string, Warehouse>();
  readonly #opening = new Map<string, Promise<Warehouse>>();
  readonly #closing = new Map<string, Promise<void>>();

  constructor(dir: string | null) {
    this.#dir = dir;
  }

  get inMemory(): boolean {
    return this.#dir === null;
  }

  /**
   * Borrows a warehouse; `release` closes a directory one at the last release. Only `create`
   * (loading data) makes a new one: a query naming a warehouse that does not exist fails, so an
   * attribute-filled name can never create warehouses on disk.
   */
  async acquire(
    name: string,
    options: { create?: boolean } = {},
  ): Promise<{
    pglite: PGlite;
    serialize: <T>(work: () => Promise<T>) => Promise<T>;
    release: () => Promise<void>;
  }> {
    const w = await this.#get(name, options.create === true);
    w.refs++;
    let released = false;
    return {
      pglite: w.pglite,
      serialize: (work) => {
        const run = w.queue.then(work, work);
        w.queue = run.then(
          () => {},
          () => {},
        );
        return run;
      },
      release: async () => {
        if (released) return;
        released = true;
        w.refs--;
        if (w.refs === 0 && this.#dir !== null) {
          this.#open.delete(name);
          const closing = (async () => {
            await w.queue;
            await w.pglite.close();
            w.unlock();
          })();
          this.#closing.set(name, closing);
          try {
            await closing;
          } finally {
            this.#closing.delete(name);
          }
        }
      },
    };
  }

  async #get(name: string, create: boolean): Promise<Warehouse> {
    const open = this.#open.get(name);
    if (open) return open;
    const pending = this.#opening.get(name);
    if (pending) return pending;
    const dir = this.#dir === null ? null : join(this.#dir, name);
    if (!create && (dir === null || !existsSync(join(dir, 'PG_VERSION')))) {
      throw new AppError('CONNECTION_FAILED', `There is no warehouse named "${name}"`);
    }
    const opening = (async () => {
      await this.#closing.get(name); // reopening right after the last release: wait for the close
      const unlock = dir ? lockDataDir(dir) : () => {};
      try {
        // Loaded when the first embedded warehouse opens: a server on PostgreSQL never pays for it.
        const { PGlite } = await import('@electric-sql/pglite');
        const pglite = dir ? new PGlite(dir) : new PGlite();
        await pglite.waitReady;
        const w: Warehouse = { pglite, refs: 0, queue: Promise.resolve(), unlock };
        this.#open.set(name, w);
        return w;
      } catch (err) {
        unlock();
        throw err;
      }
    })();
    this.#opening.set(name, opening);
    try {
      return await opening;
    } finally {
      this.#opening.delete(name);
    }
  }

  /** Runs setup SQL (the demo's tables) in a warehouse with full rights. */
  async load(name: string, sql: string): Promise<void> {
    const h = await this.acquire(name, { create: true });
    try {
      await h.serialize(() => h.pglite.exec(sql));
    } finally {
      await h.release();
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    for (const w of all) {
      await w.queue;
      if (!w.pglite.closed) await w.pglite.close();
      w.unlock();
    }
  }
}

/** Like the pg pools: 64-bit integers, numerics and date/time values stay the server's text. */
const keepText = (value: string) => value;
const RAW_TEXT_TYPES = Object.fromEntries(
  [20, 1700, 1082, 1083, 1114, 1184, 1266, 1186].map((oid) => [oid, keepText]),
);

/** A pool over one warehouse. The warehouse's single session is shared, one transaction at a time. */
export async function openPgliteWarehousePool(
  warehouses: Warehouses,
  settings: ResolvedSettings,
): Promise<DataPool> {
  const h = await warehouses.acquire(settings.database);
  const exec = async (text: string, params: readonly unknown[]) => {
    const r = await h.pglite.query<unknown[]>(text, [...params], {
      rowMode: 'array',
      parsers: RAW_TEXT_TYPES,
    });
    return { rows: r.rows, fields: r.fields };
  };
  return {
    run: (sql, params, limits, policyChecks = []) => {
      const signal = currentDbScope()?.signal;
      return h.serialize(async () => {
        // A running statement cannot be interrupted here, but one whose client left while it
        // waited for its turn is not started: gone clients cannot queue work behind a slow query.
        if (signal?.aborted) throw clientWentAway();
        try {
          return await runReadOnly(
            { exec, script: (text) => h.pglite.exec(text) },
            { sql, params, limits, policyChecks },
          );
        } catch (err) {
          throw translateDriverError(err, []);
        } finally {
          await h.pglite.exec('rollback').catch(() => {});
        }
      });
    },
    serverVersion: () =>
      h.serialize(async () => Number((await h.pglite.query<{ v: string }>(VERSION_SQL)).rows[0]?.v)),
    ping: () =>
      h.serialize(
        async () => (await h.pglite.query<{ v: string }>('select version() as v')).rows[0]?.v ?? '',
      ),
    discover: () =>
      h.serialize(async () =>
        groupColumns((await h.pglite.query<Parameters<typeof groupColumns>[0][number]>(DISCOVER_SQL)).rows),
      ),
    grants: () =>
      h.serialize(async () => {
        try {
          return grantsFromRows((await h.pglite.query<Record<string, unknown>>(POSTGRES_GRANTS_SQL)).rows);
        } catch (err) {
          throw translateDriverError(err, []);
        }
      }),
    // One in-process session, serialized: nothing to count beyond it.
    stats: () => ({ size: 1, inUse: 0, waiting: 0 }),
    close: () => h.release(),
  };
}
