/**
 * One Powertools logger for every handler. Log counts and identifiers of runs, never events or
 * rows: S3 keys and payloads can carry personal data.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'catchment' });
