import type { Kysely } from 'kysely';
import type { PresetRecord } from '../../domain/presets.js';
import { ownerOf, type Principal } from '../../domain/principal.js';
import type { PresetRepository } from '../../ports/lifecycle.port.js';
import type { PresetsTable, Tables } from './schema.js';

function toPreset(row: PresetsTable): PresetRecord {
  let outputs: unknown[] = [];
  try {
    const parsed = JSON.parse(row.outputs) as unknown;
    if (Array.isArray(parsed)) outputs = parsed;
  } catch {
    /* unreadable: no outputs, which the schema refuses when a job uses it (preset_invalid) */
  }
  return { name: row.name, description: row.description, outputs, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}

/**
 * Presets by (account, name). Every query names the principal's own account, the system
 * principal's too: a preset is always read for the account that uses it.
 */
export class SqlPresetRepository implements PresetRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(principal: Principal, p: PresetRecord): Promise<boolean> {
    const res = await this.db
      .insertInto('presets')
      .values({ account_id: ownerOf(principal), name: p.name, description: p.description, outputs: JSON.stringify(p.outputs), created_at: p.createdAt, updated_at: p.updatedAt })
      .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(principal: Principal, name: string): Promise<PresetRecord | null> {
    const row = await this.db.selectFrom('presets').selectAll().where('account_id', '=', ownerOf(principal)).where('name', '=', name).executeTakeFirst();
    return row ? toPreset(row) : null;
  }

  async list(principal: Principal): Promise<PresetRecord[]> {
    const rows = await this.db.selectFrom('presets').selectAll().where('account_id', '=', ownerOf(principal)).orderBy('name').execute();
    return rows.map(toPreset);
  }

  async replace(principal: Principal, name: string, patch: { outputs: unknown[]; description: string | null; updatedAt: number }): Promise<PresetRecord | null> {
    const row = await this.db
      .updateTable('presets')
      .set({ outputs: JSON.stringify(patch.outputs), description: patch.description, updated_at: patch.updatedAt })
      .where('account_id', '=', ownerOf(principal))
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    return row ? toPreset(row) : null;
  }

  async delete(principal: Principal, name: string): Promise<boolean> {
    const res = await this.db.deleteFrom('presets').where('account_id', '=', ownerOf(principal)).where('name', '=', name).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}
