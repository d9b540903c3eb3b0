/** infra/config.ts: context values, their defaults and validation (no synth). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, monthRange, periodRange, readConfig } from '../../infra/config.ts';

const from = (ctx: Record<string, unknown>) => readConfig((k) => ctx[k]);

describe('deployment config', () => {
  it('defaults to 02:00 Europe/London, 30-day raw and quarantine retention, threshold 5, no alert e-mail', () => {
    const c = from({});
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c).toMatchObject({ schedule: 'cron(0 2 * * ? *)', timezone: 'Europe/London', rawRetentionDays: 30, quarantineRetentionDays: 30, suppressionThreshold: 5 });
    expect(c.alertEmail).toBeUndefined();
  });

  it('parses values given on the command line (strings)', () => {
    const c = from({ laName: 'Sunderland', rawRetentionDays: '14', suppressionThreshold: '10', alertEmail: 'data@example.gov.uk', defaultPeriod: '2025-26', logRetentionDays: '90' });
    expect(c).toMatchObject({ laName: 'Sunderland', rawRetentionDays: 14, suppressionThreshold: 10, alertEmail: 'data@example.gov.uk', defaultPeriod: '2025-26', logRetentionDays: 90 });
  });

  it('rejects bad values, naming the key', () => {
    expect(() => from({ rawRetentionDays: 'soon' })).toThrow(/context "rawRetentionDays"/);
    expect(() => from({ rawRetentionDays: 0 })).toThrow(/rawRetentionDays/);
    expect(() => from({ stagingRetentionDays: 30 })).toThrow(/stagingRetentionDays/);
    expect(() => from({ schedule: '0 2 * * *' })).toThrow(/schedule/);
    expect(() => from({ alertEmail: 'nobody' })).toThrow(/alertEmail/);
    expect(() => from({ defaultPeriod: '2025-27' })).toThrow(/defaultPeriod/);
    expect(() => from({ logRetentionDays: 100 })).toThrow(/logRetentionDays/);
    expect(() => from({ bytesScannedCutoff: 1000 })).toThrow(/bytesScannedCutoff/);
    expect(() => from({ firstPeriod: '2030-31', lastPeriod: '2020-21' })).toThrow(/lastPeriod/);
    expect(() => from({ pupilNoncurrentRetentionDays: 30 })).toThrow(/pupilNoncurrentRetentionDays/);
    expect(() => from({ apiAccessLogClientIps: 'yes' })).toThrow(/apiAccessLogClientIps/);
    expect(() => from({ webAclArn: 'arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/x/abc' })).toThrow(/webAclArn/);
    expect(() => from({ analystWorkGroupName: 'catchment' })).toThrow(/analystWorkGroupName/);
    expect(() => from({ wafRateLimit: 5 })).toThrow(/wafRateLimit/);
  });

  it('takes the ingest settings the CLI has (--classification, --la-code, --cluster-column) and the ingest function size', () => {
    const c = from({ classification: 'oac11', laCode: 886, clusterColumn: 'DistrictAdministrative (name)', ingestMemoryMiB: '10240', ingestStorageGiB: '8' });
    expect(c).toMatchObject({ classification: 'oac11', laCode: '886', clusterColumn: 'DistrictAdministrative (name)', ingestMemoryMiB: 10240, ingestStorageGiB: 8 });
    expect(() => from({ classification: 'oac2021' })).toThrow(/context "classification"/);
    expect(() => from({ laCode: '88' })).toThrow(/context "laCode"/);
    expect(() => from({ ingestMemoryMiB: 1024 })).toThrow(/context "ingestMemoryMiB"/);
    expect(() => from({ ingestStorageGiB: 20 })).toThrow(/context "ingestStorageGiB"/);
  });

  it('expands academic-year and month ranges', () => {
    expect(periodRange('2024-25', '2026-27')).toEqual(['2024-25', '2025-26', '2026-27']);
    expect(periodRange('1999-00', '2000-01')).toEqual(['1999-00', '2000-01']);
    expect(monthRange('2024-11', '2025-02')).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
  });
});
