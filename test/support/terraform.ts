/**
 * Terraform (hashicorp/aws) against simfra in the end-to-end tests: whether it can run here, the
 * provider block pointing services at simfra, and a working directory to init, apply, plan in.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, tempDir, type TestServer } from './server.js';
import { hasTool, run } from './tools.js';

/** A filesystem mirror of the AWS provider (the CI image carries one; nothing is downloaded). */
export const PROVIDER_MIRROR = process.env.SIMFRA_TF_PLUGINS ?? '/opt/tf-plugins';

/** Why Terraform cannot run here (the skip message), or undefined when it can. */
export async function terraformUnavailable(): Promise<string | undefined> {
  if (!(await hasTool('terraform', 'version'))) return 'terraform not installed';
  if (!existsSync(join(PROVIDER_MIRROR, 'registry.terraform.io', 'hashicorp', 'aws'))) return `no AWS provider mirror at ${PROVIDER_MIRROR}`;
  return undefined;
}

/**
 * The `terraform { required_providers }` and `provider "aws"` blocks with the root test
 * credentials, each of `services` pointed at `endpoint`, and `extra` provider settings
 * (e.g. `{ skip_requesting_account_id: true }`) after the common ones.
 */
export function providerHcl(endpoint: string, services: string[], extra: Record<string, boolean | string> = {}): string {
  const settings: [string, string][] = [
    ['region', '"us-east-1"'],
    ['access_key', '"AKIAIOSFODNN7EXAMPLE"'],
    ['secret_key', '"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'],
    ['skip_metadata_api_check', 'true'],
    ...Object.entries(extra).map(([key, value]): [string, string] => [key, typeof value === 'string' ? JSON.stringify(value) : String(value)]),
  ];
  const width = Math.max(...settings.map(([key]) => key.length));
  return `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
${settings.map(([key, value]) => `  ${key.padEnd(width)} = ${value}`).join('\n')}
  endpoints {
${services.map((service) => `    ${service} = "${endpoint}"`).join('\n')}
  }
}
`;
}

/** A temporary Terraform working directory using the provider mirror (no network, no checkpoint calls). */
export class TerraformDir {
  private constructor(readonly path: string, private readonly dir: { remove(): void }) {}

  /** A new directory holding `mainTf` as main.tf, after `terraform init`. */
  static async init(prefix: string, mainTf: string): Promise<TerraformDir> {
    const dir = tempDir(prefix);
    const tf = new TerraformDir(dir.path, dir);
    writeFileSync(join(dir.path, 'tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    writeFileSync(join(dir.path, 'main.tf'), mainTf);
    try {
      await tf.run('init');
    } catch (e) {
      tf.remove();
      throw e;
    }
    return tf;
  }

  /** `terraform <args> -no-color` here; rejects when it exits non-zero. */
  run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run('terraform', [...args, '-no-color'], {
      cwd: this.path,
      env: { ...process.env, TF_CLI_CONFIG_FILE: join(this.path, 'tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
      maxBuffer: 16 << 20,
    });
  }

  /** `terraform plan -detailed-exitcode`: code 0 = no changes, 2 = changes, 1 = error; out = what it printed. */
  plan(): Promise<{ code: number; out: string }> {
    return this.run('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
    );
  }

  remove(): void {
    this.dir.remove();
  }
}

/**
 * A suite of one Terraform test against a fresh simfra: its directory is initialised with
 * `mainTf(endpoint)`, and both are removed after; where Terraform cannot run here the test is
 * skipped, saying why.
 */
export function describeTerraform(
  title: string,
  setup: { dirPrefix: string; mainTf: (endpoint: string) => string },
  test: { name: string; timeout: number },
  body: (ctx: { server: TestServer; tf: TerraformDir }) => Promise<void>,
): void {
  void describe(title, async () => {
    const unavailable = await terraformUnavailable();
    let server: TestServer;
    let tf: TerraformDir;

    before(async () => {
      if (unavailable) return;
      server = await startServer();
      tf = await TerraformDir.init(setup.dirPrefix, setup.mainTf(server.url));
    });
    after(async () => {
      if (unavailable) return;
      tf.remove();
      await server.close();
    });

    it(test.name, { timeout: test.timeout }, async (t) => {
      if (unavailable) {
        t.skip(unavailable);
        return;
      }
      await body({ server, tf });
    });
  });
}
