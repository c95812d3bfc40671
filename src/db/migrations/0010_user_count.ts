import { type Kysely, sql } from 'kysely';
import { engineOf } from '../dialect.js';

/**
 * The number of accounts, kept by the database in the transaction of every
 * insert and delete of `users` (cascades and bulk loads included), so that
 * `include_total` without filters reads it instead of counting a million
 * index entries.
 *
 * SQLite has one writer at a time: a single row, updated by row triggers.
 * PostgreSQL has concurrent writers, and one row would queue every account
 * creation behind the others' commits (and could deadlock against the locks
 * they take next): each insert or delete statement appends its delta instead
 * (a statement trigger over its transition table), the total is their sum,
 * and the pruner folds them into one row now and then.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_count')
    .addColumn('delta', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into user_count (delta) select count(*) from users`.execute(db);
  if (engineOf(db) === 'sqlite') {
    await sql`create trigger users_count_insert after insert on users
              begin update user_count set delta = delta + 1; end`.execute(db);
    await sql`create trigger users_count_delete after delete on users
              begin update user_count set delta = delta - 1; end`.execute(db);
    return;
  }
  // `set search_path from current`: the function finds its schema's table whatever the caller's path.
  await sql`create function users_count_changed() returns trigger language plpgsql
            set search_path from current as $$
            begin
              if tg_op = 'INSERT' then
                insert into user_count (delta) select n from (select count(*) as n from new_rows) c where n > 0;
              else
                insert into user_count (delta) select -n from (select count(*) as n from old_rows) c where n > 0;
              end if;
              return null;
            end $$`.execute(db);
  await sql`create trigger users_count_insert after insert on users
            referencing new table as new_rows for each statement execute function users_count_changed()`.execute(db);
  await sql`create trigger users_count_delete after delete on users
            referencing old table as old_rows for each statement execute function users_count_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger users_count_insert${sql.raw(engineOf(db) === 'postgres' ? ' on users' : '')}`.execute(db);
  await sql`drop trigger users_count_delete${sql.raw(engineOf(db) === 'postgres' ? ' on users' : '')}`.execute(db);
  if (engineOf(db) === 'postgres') await sql`drop function users_count_changed()`.execute(db);
  await db.schema.dropTable('user_count').execute();
}
