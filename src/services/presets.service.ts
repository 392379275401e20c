import { DomainError } from '../domain/errors.js';
import type { OutputSpec } from '../domain/job-spec.js';
import { builtInPreset, BUILT_IN_PRESETS, presetCreateSchema, presetNameSchema, presetOutputsSchema, presetReplaceSchema, type PresetRecord } from '../domain/presets.js';
import type { Principal } from '../domain/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import { jsonPath, parseOrThrow } from './validation.js';

export interface PresetView {
  preset: PresetRecord;
  builtIn: boolean;
}

const readOnly = (name: string) =>
  new DomainError('preset_read_only', `"${name}" is a built-in preset: it cannot be created, changed or deleted; save your own under another name (POST /v1/presets)`, { name });

/**
 * Presets (docs/lifecycle.md): the account's own, by name, and the built-ins every account
 * reads. Outputs are checked with the job spec's output schema when saved, and again when a
 * job uses the preset (`outputsFor`).
 */
export class PresetsService {
  constructor(private readonly deps: { db: Pick<Database, 'presets'>; clock: Clock }) {}

  async create(principal: Principal, body: unknown): Promise<PresetView> {
    const req = parseOrThrow(presetCreateSchema, body, 'preset');
    if (builtInPreset(req.name)) throw readOnly(req.name);
    const now = this.deps.clock.now();
    const preset: PresetRecord = { name: req.name, description: req.description ?? null, outputs: rawOutputs(body), createdAt: now, updatedAt: now };
    if (!(await this.deps.db.presets.create(principal, preset))) {
      throw new DomainError('preset_exists', `this account already has a preset named "${req.name}"; change it with PUT /v1/presets/${req.name}`, { name: req.name });
    }
    return { preset, builtIn: false };
  }

  /** The account's own presets, then the built-ins. */
  async list(principal: Principal): Promise<PresetView[]> {
    const own = await this.deps.db.presets.list(principal);
    return [...own.map((preset) => ({ preset, builtIn: false })), ...BUILT_IN_PRESETS.map((preset) => ({ preset, builtIn: true }))];
  }

  async get(principal: Principal, name: string): Promise<PresetView> {
    const builtIn = builtInPreset(name);
    if (builtIn) return { preset: builtIn, builtIn: true };
    const own = presetNameSchema.safeParse(name).success ? await this.deps.db.presets.get(principal, name) : null;
    if (!own) throw new DomainError('not_found', `no preset named "${name}"`);
    return { preset: own, builtIn: false };
  }

  /** Replaces an existing preset's outputs and description (create one with POST). */
  async replace(principal: Principal, name: string, body: unknown): Promise<PresetView> {
    if (builtInPreset(name)) throw readOnly(name);
    // Looked up first: another account's name answers 404 whatever the body.
    await this.get(principal, name);
    const req = parseOrThrow(presetReplaceSchema, body, 'preset');
    const preset = await this.deps.db.presets.replace(principal, name, { outputs: rawOutputs(body), description: req.description ?? null, updatedAt: this.deps.clock.now() });
    if (!preset) throw new DomainError('not_found', `no preset named "${name}"`);
    return { preset, builtIn: false };
  }

  async delete(principal: Principal, name: string): Promise<PresetView> {
    if (builtInPreset(name)) throw readOnly(name);
    const view = await this.get(principal, name);
    if (!(await this.deps.db.presets.delete(principal, name))) throw new DomainError('not_found', `no preset named "${name}"`);
    return view;
  }

  /**
   * The outputs a job naming `name` gets, checked again against today's output schema:
   * `preset_not_found` (422) for a name that is neither the account's nor built in,
   * `preset_invalid` (422, with the problems) for a saved preset the schema now refuses.
   */
  async outputsFor(principal: Principal, name: string): Promise<OutputSpec[]> {
    const preset = builtInPreset(name) ?? (await this.deps.db.presets.get(principal, name));
    if (!preset) {
      throw new DomainError('preset_not_found', `no preset named "${name}" in this account or among the built-ins (GET /v1/presets lists them)`, { path: 'preset', name });
    }
    const res = presetOutputsSchema.safeParse(preset.outputs);
    if (!res.success) {
      const problems = res.error.issues.map((i) => ({ path: `preset(${name}).outputs${jsonPath(i.path).replace(/^\(root\)$/, '')}`, message: i.message }));
      throw new DomainError('preset_invalid', `the preset "${name}" no longer passes the output schema: ${problems[0].path}: ${problems[0].message}; fix it with PUT /v1/presets/${name}`, { name, problems });
    }
    return res.data;
  }
}

/** The outputs as the client sent them (already checked): stored so that defaults apply when used. */
function rawOutputs(body: unknown): unknown[] {
  return (body as { outputs: unknown[] }).outputs;
}
