/**
 * Which repositories are scanned on push: the repository's own scanOnPush, or a rule of the
 * registry scanning configuration (PutRegistryScanningConfiguration) whose WILDCARD filter
 * matches the repository's name. Pure: the configuration is kept as an account setting by the
 * ECR API and read here on every push, so registry pushes and PutImage follow the same rules.
 * — source: ECR model, RegistryScanningRule ("When the BASIC scan type is specified, the
 *   SCAN_ON_PUSH scan frequency is supported. If scan on push is not specified, then the MANUAL
 *   scan frequency is set by default.") and ScanningRepositoryFilter.
 */
import { wildcardMatch } from './mutability.js';

/** The account setting (per account and region) that holds the configuration as JSON. */
export const REGISTRY_SCANNING_SETTING = 'registry-scanning-configuration';

export interface ScanningFilter {
  filter: string;
  filterType: string;
}

export interface ScanningRule {
  scanFrequency: string;
  repositoryFilters: ScanningFilter[];
}

export interface RegistryScanningConfig {
  scanType: string;
  rules: ScanningRule[];
}

/** "When a registry scanning configuration is not defined, by default the BASIC scan type is used." */
export const DEFAULT_SCANNING: RegistryScanningConfig = { scanType: 'BASIC', rules: [] };

export function parseScanningConfig(stored: string | undefined): RegistryScanningConfig {
  if (stored === undefined) return DEFAULT_SCANNING;
  const parsed = JSON.parse(stored) as Partial<RegistryScanningConfig>;
  return { scanType: parsed.scanType ?? 'BASIC', rules: parsed.rules ?? [] };
}

export interface RepositoryScanning {
  scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  /** The registry filters that select the repository. */
  appliedScanFilters: ScanningFilter[];
  /** Whether a push is scanned. */
  scansOnPush: boolean;
}

/**
 * The scanning of one repository: a continuous-scan rule that matches wins over a scan-on-push
 * one (continuous scanning scans on push too); without a matching rule the repository's own
 * scanOnPush decides.
 */
export function repositoryScanning(config: RegistryScanningConfig, repo: { name: string; scanOnPush: boolean }): RepositoryScanning {
  let frequency: RepositoryScanning['scanFrequency'] = 'MANUAL';
  let applied: ScanningFilter[] = [];
  for (const wanted of ['CONTINUOUS_SCAN', 'SCAN_ON_PUSH'] as const) {
    const matching = config.rules
      .filter((r) => r.scanFrequency === wanted)
      .flatMap((r) => r.repositoryFilters.filter((f) => f.filterType === 'WILDCARD' && wildcardMatch(f.filter, repo.name)));
    if (matching.length > 0) {
      frequency = wanted;
      applied = matching;
      break;
    }
  }
  if (frequency === 'MANUAL' && repo.scanOnPush) frequency = 'SCAN_ON_PUSH';
  return { scanFrequency: frequency, appliedScanFilters: applied, scansOnPush: frequency !== 'MANUAL' };
}
