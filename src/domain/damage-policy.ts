/** What a job does with a damaged source (`input.onDamage`): fail it, or process what is there with warnings. Apart from damage.ts so the job spec can name it without a cycle. */
export const DAMAGE_POLICIES = ['fail', 'warn'] as const;
export type DamagePolicy = (typeof DAMAGE_POLICIES)[number];
