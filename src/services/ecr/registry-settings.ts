import type { RequestContext } from '../../aws/context.js';
import { InvalidParameterException } from '../../model/ecr/errors.js';
import type {
  DescribeRegistryRequest,
  DescribeRegistryResponse,
  GetAccountSettingRequest,
  GetAccountSettingResponse,
  PutAccountSettingRequest,
  PutAccountSettingResponse,
  ReplicationConfiguration,
} from '../../model/ecr/types.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';

/**
 * Account settings with their allowed values and defaults — source: the model's documentation of
 * GetAccountSetting/PutAccountSetting (BLOB_MOUNTING is off until enabled; AWS-native basic
 * scanning and the V2 registry-policy scope are the defaults for new accounts).
 */
export const ACCOUNT_SETTINGS: Readonly<Record<string, { values: readonly string[]; fallback: string }>> = {
  BASIC_SCAN_TYPE_VERSION: { values: ['AWS_NATIVE', 'CLAIR'], fallback: 'AWS_NATIVE' },
  REGISTRY_POLICY_SCOPE: { values: ['V1', 'V2'], fallback: 'V2' },
  BLOB_MOUNTING: { values: ['ENABLED', 'DISABLED'], fallback: 'DISABLED' },
};

export const settingKey = (name: string) => `account-setting/${name}`;

export async function accountSetting(deps: Pick<EcrDeps, 'meta'>, accountId: string, region: string, name: string): Promise<string> {
  const spec = ACCOUNT_SETTINGS[name];
  const stored = await deps.meta.settings.get(accountId, region, settingKey(name));
  return stored ?? spec?.fallback ?? '';
}

function settingSpec(name: string) {
  const spec = ACCOUNT_SETTINGS[name];
  if (!spec) {
    throw new InvalidParameterException(
      messages.invalidParameter('name', `Account setting name must be one of ${Object.keys(ACCOUNT_SETTINGS).join(', ')}`),
    );
  }
  return spec;
}

export function getAccountSetting(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetAccountSettingRequest): Promise<GetAccountSettingResponse> => {
    settingSpec(input.name);
    return { name: input.name, value: await accountSetting(deps, ctx.accountId, ctx.region, input.name) };
  };
}

export function putAccountSetting(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutAccountSettingRequest): Promise<PutAccountSettingResponse> => {
    const spec = settingSpec(input.name);
    if (!spec.values.includes(input.value)) {
      throw new InvalidParameterException(
        messages.invalidParameter('value', `Valid values for ${input.name} are ${spec.values.join(', ')}`),
      );
    }
    await deps.meta.settings.put(ctx.accountId, ctx.region, settingKey(input.name), input.value);
    return { name: input.name, value: input.value };
  };
}

export const REPLICATION_CONFIGURATION = 'replication-configuration';

export function describeRegistry(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: DescribeRegistryRequest): Promise<DescribeRegistryResponse> => {
    const stored = await deps.meta.settings.get(ctx.accountId, ctx.region, REPLICATION_CONFIGURATION);
    const replicationConfiguration: ReplicationConfiguration = stored
      ? (JSON.parse(stored) as ReplicationConfiguration)
      : { rules: [] };
    return { registryId: ctx.accountId, replicationConfiguration };
  };
}
