/** The ingest settings (functions/ingest/settings.ts): one definition for the CLI and the ingest Lambda's environment. */
import { describe, expect, it } from 'vitest';
import { INGEST_SETTINGS_ENV, settingsFromEnv, settingsToEnv } from '../functions/ingest/settings.ts';

describe('ingest settings', () => {
  it('round-trip through the environment the stack sets', () => {
    const settings = { classification: 'oac11' as const, laCode: '886', clusterColumn: 'DistrictAdministrative (name)' };
    expect(settingsToEnv(settings)).toEqual({ CLASSIFICATION: 'oac11', LA_CODE: '886', CLUSTER_COLUMN: 'DistrictAdministrative (name)' });
    expect(settingsFromEnv(settingsToEnv(settings))).toEqual(settings);
    expect(Object.keys(INGEST_SETTINGS_ENV).sort()).toEqual(Object.keys(settings).sort());
  });

  it('take their defaults when unset or empty', () => {
    expect(settingsFromEnv({})).toEqual({});
    expect(settingsFromEnv({ CLASSIFICATION: '', LA_CODE: '', CLUSTER_COLUMN: '' })).toEqual({});
  });

  it('refuse a wrong value, naming the variable', () => {
    expect(() => settingsFromEnv({ CLASSIFICATION: 'OAC21' })).toThrow(/^CLASSIFICATION must be oac11 or oac21, not "OAC21"$/);
    expect(() => settingsFromEnv({ LA_CODE: '8860' })).toThrow(/^LA_CODE must be a 3-digit LA number/);
    expect(() => settingsFromEnv({ CLUSTER_COLUMN: '   ' })).toThrow(/^CLUSTER_COLUMN must name a column/);
  });
});
