/**
 * How inputs are read beyond the files themselves: one set of settings for both shells. The CLI
 * takes them as --classification, --la-code and --cluster-column; the ingest Lambda reads them
 * from the environment variables below, which the CDK stack sets from its context. The mapping is
 * typed over every setting, so a setting added here cannot be forgotten by the Lambda path.
 */
export interface IngestSettings {
  /** OAC edition to use when the lookup offers both (default: 2021 when present). */
  classification?: 'oac11' | 'oac21';
  /** The LA's number (e.g. 886): pupils at other LAs' schools are quarantined. Default: inferred from the schools pupils attend. */
  laCode?: string;
  /** A column of the schools file that names each school's cluster (e.g. a GIAS column), when there is no schools/clusters.csv. */
  clusterColumn?: string;
}

/** The environment variable of each setting (ingest Lambda). */
export const INGEST_SETTINGS_ENV: { readonly [K in keyof Required<IngestSettings>]: string } = {
  classification: 'CLASSIFICATION',
  laCode: 'LA_CODE',
  clusterColumn: 'CLUSTER_COLUMN',
};

export class IngestSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestSettingsError';
  }
}

/** The settings, checked: a wrong value fails naming the setting (never silently falls back to a default). */
export function checkSettings(s: Record<keyof IngestSettings, string | undefined>, names: Record<keyof IngestSettings, string> = INGEST_SETTINGS_ENV): IngestSettings {
  const out: IngestSettings = {};
  if (s.classification) {
    if (s.classification !== 'oac11' && s.classification !== 'oac21') throw new IngestSettingsError(`${names.classification} must be oac11 or oac21, not ${JSON.stringify(s.classification)}`);
    out.classification = s.classification;
  }
  if (s.laCode) {
    if (!/^\d{3}$/.test(s.laCode)) throw new IngestSettingsError(`${names.laCode} must be a 3-digit LA number such as 886, not ${JSON.stringify(s.laCode)}`);
    out.laCode = s.laCode;
  }
  if (s.clusterColumn) {
    if (!s.clusterColumn.trim()) throw new IngestSettingsError(`${names.clusterColumn} must name a column of the schools file`);
    out.clusterColumn = s.clusterColumn;
  }
  return out;
}

/** The settings from the environment (unset or empty: the default). */
export function settingsFromEnv(env: Record<string, string | undefined> = process.env): IngestSettings {
  return checkSettings({
    classification: env[INGEST_SETTINGS_ENV.classification],
    laCode: env[INGEST_SETTINGS_ENV.laCode],
    clusterColumn: env[INGEST_SETTINGS_ENV.clusterColumn],
  });
}

/** The environment that carries the settings (only those given). */
export function settingsToEnv(s: IngestSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(INGEST_SETTINGS_ENV) as (keyof IngestSettings)[]) {
    const v = s[k];
    if (v !== undefined) out[INGEST_SETTINGS_ENV[k]] = v;
  }
  return out;
}
