/**
 * botocore `service-2.json(.gz)` → `src/model/<svc>/` (types, enums, errors, operations, shapes,
 * index). Run with `npm run gen`. The output depends only on the model files, so running it twice
 * gives identical files (CI: `npm run gen && git diff --exit-code src/model`).
 *
 * botocore is found with `python3 -c "import botocore"`; set BOTOCORE_DATA to its `data` folder
 * (the one holding `ecr/2015-09-21/service-2.json.gz`) to use another copy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { translateJavaPattern } from '../src/model/validate.js';

/** The services we generate, with the prefix of their `<Prefix>Operations` interface. */
const SERVICES = [
  { dir: 'ecr', prefix: 'Ecr' },
  { dir: 'sts', prefix: 'Sts' },
  { dir: 'iam', prefix: 'Iam' },
  { dir: 'kms', prefix: 'Kms' },
  { dir: 'lambda', prefix: 'Lambda' },
  { dir: 'ecs', prefix: 'Ecs' },
  { dir: 'secretsmanager', prefix: 'SecretsManager' },
] as const;

// ---------------------------------------------------------------------------------------------
// botocore's JSON, as far as we read it

interface RawRef {
  shape: string;
  [trait: string]: unknown;
}

interface RawShape {
  type: string;
  members?: Record<string, RawRef>;
  required?: string[];
  member?: RawRef;
  key?: RawRef;
  value?: RawRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  exception?: boolean;
  fault?: boolean;
  document?: boolean;
  [trait: string]: unknown;
}

interface RawOperation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: RawRef;
  output?: RawRef & { resultWrapper?: string };
  errors?: RawRef[];
  authtype?: string;
  auth?: string[];
  idempotent?: boolean;
  readonly?: boolean;
  deprecated?: boolean;
}

interface RawModel {
  metadata: Record<string, unknown>;
  operations: Record<string, RawOperation>;
  shapes: Record<string, RawShape>;
}

// ---------------------------------------------------------------------------------------------
// Locating botocore

function botocoreDataDir(): string {
  const fromEnv = process.env.BOTOCORE_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const pkg = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], {
    encoding: 'utf8',
  }).trim();
  return join(pkg, 'data');
}

function botocoreVersion(dataDir: string): string {
  const init = join(dataDir, '..', '__init__.py');
  if (existsSync(init)) {
    const m = /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(readFileSync(init, 'utf8'));
    if (m?.[1] !== undefined) return m[1];
  }
  return process.env.BOTOCORE_VERSION ?? 'unknown';
}

function loadModel(dataDir: string, service: string): RawModel {
  const serviceDir = join(dataDir, service);
  const versions = readdirSync(serviceDir)
    .filter((v) => existsSync(join(serviceDir, v, 'service-2.json.gz')) || existsSync(join(serviceDir, v, 'service-2.json')))
    .sort();
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error(`no service-2.json under ${serviceDir}`);
  const gz = join(serviceDir, newest, 'service-2.json.gz');
  const text = existsSync(gz) ? gunzipSync(readFileSync(gz)).toString('utf8') : readFileSync(join(serviceDir, newest, 'service-2.json'), 'utf8');
  const model: RawModel = JSON.parse(text);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Emitting TypeScript

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Names our generated code uses itself; a structure or enum of that name would shadow them. */
const RESERVED = new Set(['Date', 'Uint8Array', 'Record', 'Array', 'AwsError', 'ServiceModel', 'ShapeTable']);

function str(s: string): string {
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}'`;
}

function key(k: string): string {
  return IDENT.test(k) ? k : str(k);
}

type Lit = string | number | boolean | readonly Lit[] | { readonly [k: string]: Lit | undefined };

/**
 * A literal, on one line when it fits (`used` = characters already on the line before it, plus
 * the trailing comma), else one element or property per line.
 */
function lit(v: Lit, indent: string, used: number, width = 110): string {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    const items = (v as readonly Lit[]).map((x) => lit(x, inner, inner.length + 1, width));
    const one = `[${items.join(', ')}]`;
    if (used + one.length <= width && !one.includes('\n')) return one;
    return `[\n${items.map((x) => `${inner}${x},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, Lit | undefined>).filter(
    (e): e is [string, Lit] => e[1] !== undefined,
  );
  if (entries.length === 0) return '{}';
  const parts = entries.map(([k, x]) => `${key(k)}: ${lit(x, inner, inner.length + key(k).length + 3, width)}`);
  const one = `{ ${parts.join(', ')} }`;
  if (used + one.length <= width && !one.includes('\n')) return one;
  return `{\n${parts.map((x) => `${inner}${x},`).join('\n')}\n${indent}}`;
}

function header(version: string): string {
  return `// generated by scripts/gen-model.ts from botocore ${version} — do not edit\n`;
}

/** Named imports wrapped to the line width, sorted. */
function importLine(names: Iterable<string>, from: string, typeOnly: boolean): string {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return '';
  const head = `import ${typeOnly ? 'type ' : ''}{`;
  const one = `${head} ${sorted.join(', ')} } from '${from}';\n`;
  if (one.length <= 110) return one;
  const lines: string[] = [];
  let line = '';
  for (const n of sorted) {
    const next = line === '' ? n : `${line}, ${n}`;
    if (2 + next.length + 1 > 110 && line !== '') {
      lines.push(`  ${line},`);
      line = n;
    } else line = next;
  }
  if (line !== '') lines.push(`  ${line},`);
  return `${head}\n${lines.join('\n')}\n} from '${from}';\n`;
}

function sortedNames(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `ecr:ReplicateImage`, `nodejs4.3`, `text/csv` → a valid, unique identifier key. */
function enumKey(value: string, used: Set<string>): string {
  let k = value.replace(/[^A-Za-z0-9_$]/g, '_');
  if (k === '' || /^[0-9]/.test(k)) k = `_${k}`;
  let unique = k;
  for (let n = 2; used.has(unique); n++) unique = `${k}_${n}`;
  used.add(unique);
  return unique;
}

// ---------------------------------------------------------------------------------------------
// One service

interface Gen {
  readonly svc: string;
  readonly prefix: string;
  readonly model: RawModel;
  readonly version: string;
}

function shapeOf(g: Gen, name: string): RawShape {
  const s = g.model.shapes[name];
  if (s === undefined) throw new Error(`${g.svc}: unknown shape ${name}`);
  return s;
}

function isException(s: RawShape): boolean {
  return s.exception === true || s.error !== undefined;
}

/** The TypeScript type of a reference; `enums`/`structs` collect the names it needs. */
function tsType(g: Gen, name: string, enums: Set<string>, structs: Set<string>): string {
  const s = shapeOf(g, name);
  switch (s.type) {
    case 'structure':
      if (s.document === true) return 'unknown';
      structs.add(name);
      return name;
    case 'list':
      return `${tsType(g, s.member!.shape, enums, structs)}[]`;
    case 'map':
      return `Record<string, ${tsType(g, s.value!.shape, enums, structs)}>`;
    case 'string':
      if (s.enum !== undefined) {
        enums.add(name);
        return name;
      }
      return 'string';
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'Date';
    case 'blob':
      return 'Uint8Array';
    default:
      throw new Error(`${g.svc}: shape ${name} has unknown type ${s.type}`);
  }
}

function checkNames(g: Gen): void {
  for (const [name, s] of Object.entries(g.model.shapes)) {
    const emitted = (s.type === 'structure' && s.document !== true) || (s.type === 'string' && s.enum !== undefined);
    if (!emitted) continue;
    if (!IDENT.test(name)) throw new Error(`${g.svc}: shape name ${name} is not an identifier`);
    if (RESERVED.has(name)) throw new Error(`${g.svc}: shape name ${name} would shadow a name the generated code uses`);
  }
}

function genTypes(g: Gen): string {
  const enums = new Set<string>();
  const body: string[] = [];
  for (const name of sortedNames(g.model.shapes)) {
    const s = shapeOf(g, name);
    if (s.type !== 'structure' || s.document === true || isException(s)) continue;
    const members = Object.entries(s.members ?? {});
    if (members.length === 0) {
      body.push(`export type ${name} = Record<string, never>;\n`);
      continue;
    }
    const required = new Set(s.required ?? []);
    const lines = members.map(([m, ref]) => `  ${key(m)}${required.has(m) ? '' : '?'}: ${tsType(g, ref.shape, enums, new Set())};`);
    body.push(`export interface ${name} {\n${lines.join('\n')}\n}\n`);
  }
  return `${header(g.version)}${importLine(enums, './enums.js', true)}\n${body.join('\n')}`;
}

function genEnums(g: Gen): string {
  const body: string[] = [];
  for (const name of sortedNames(g.model.shapes)) {
    const s = shapeOf(g, name);
    if (s.type !== 'string' || s.enum === undefined) continue;
    const used = new Set<string>();
    const entries = s.enum.map((v) => `${enumKey(v, used)}: ${str(v)}`);
    const one = `export const ${name} = { ${entries.join(', ')} } as const;`;
    const decl = one.length <= 110 ? one : `export const ${name} = {\n${entries.map((e) => `  ${e},`).join('\n')}\n} as const;`;
    const typeOne = `export type ${name} = (typeof ${name})[keyof typeof ${name}];`;
    const typeDecl = typeOne.length <= 110 ? typeOne : `export type ${name} =\n  (typeof ${name})[keyof typeof ${name}];`;
    body.push(`${decl}\n${typeDecl}\n`);
  }
  if (body.length === 0) body.push('export {};\n');
  return `${header(g.version)}\n${body.join('\n')}`;
}

function genErrors(g: Gen): string {
  const enums = new Set<string>();
  const structs = new Set<string>();
  const body: string[] = [];
  const byCode = new Map<string, string>();
  for (const name of sortedNames(g.model.shapes)) {
    const s = shapeOf(g, name);
    if (s.type !== 'structure' || !isException(s)) continue;
    const code = s.error?.code ?? name;
    const server = s.fault === true || (s.error !== undefined && s.error.senderFault !== true);
    const status = s.error?.httpStatusCode ?? (server ? 500 : 400);
    const extras = Object.entries(s.members ?? {}).filter(([m]) => m.toLowerCase() !== 'message');
    const fields = extras.map(([m, ref]) => `readonly ${key(m)}?: ${tsType(g, ref.shape, enums, structs)};`);
    let extraType = 'Readonly<Record<string, never>>';
    if (fields.length > 0) {
      const one = `{ ${fields.join(' ').slice(0, -1)} }`;
      extraType = one.length <= 80 ? one : `{\n${fields.map((f) => `      ${f}`).join('\n')}\n    }`;
    }
    const superCall = `super(${str(code)}, message, ${status}, ${str(server ? 'server' : 'client')}, extra);`;
    const ctorHead = `  constructor(message: string, extra: ${extraType} = {}) {`;
    const ctor =
      ctorHead.length <= 110
        ? `${ctorHead}\n    ${superCall}\n  }`
        : `  constructor(\n    message: string,\n    extra: ${extraType} = {},\n  ) {\n    ${superCall}\n  }`;
    body.push(`export class ${name} extends AwsError {\n${ctor}\n}\n`);
    const prior = byCode.get(code);
    if (prior !== undefined) throw new Error(`${g.svc}: error code ${code} used by ${prior} and ${name}`);
    byCode.set(code, name);
  }
  const map = [...byCode.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, cls]) => (code === cls ? `  ${cls},` : `  ${key(code)}: ${cls},`));
  return (
    `${header(g.version)}import { AwsError } from '../../aws/errors.js';\n` +
    importLine(enums, './enums.js', true) +
    importLine(structs, './types.js', true) +
    `\n${body.join('\n')}\n` +
    `/** Error classes by wire code (\`__type\` / \`<Code>\`). */\n` +
    `export const errorsByCode = {\n${map.join('\n')}\n} as const satisfies Readonly<Record<string, new (message: string) => AwsError>>;\n`
  );
}

const METADATA_KEYS = [
  'protocol',
  'protocols',
  'apiVersion',
  'endpointPrefix',
  'serviceId',
  'serviceFullName',
  'serviceAbbreviation',
  'signatureVersion',
  'signingName',
  'targetPrefix',
  'jsonVersion',
  'xmlNamespace',
  'globalEndpoint',
  'uid',
  'auth',
] as const;

function genOperations(g: Gen): string {
  const structs = new Set<string>();
  const enums = new Set<string>();
  const iface: string[] = [];
  const table: string[] = [];
  for (const name of sortedNames(g.model.operations)) {
    const op = g.model.operations[name]!;
    const input = op.input === undefined ? 'Record<string, never>' : tsType(g, op.input.shape, enums, structs);
    const output = op.output === undefined ? 'Record<string, never>' : tsType(g, op.output.shape, enums, structs);
    const entry = `  ${key(name)}: { input: ${input}; output: ${output} };`;
    iface.push(entry.length <= 110 ? entry : `  ${key(name)}: {\n    input: ${input};\n    output: ${output};\n  };`);
    const info: Record<string, Lit | undefined> = {
      input: op.input?.shape,
      output: op.output?.shape,
      resultWrapper: op.output?.resultWrapper,
      http: {
        method: op.http.method,
        requestUri: op.http.requestUri,
        responseCode: op.http.responseCode,
      },
      errors: (op.errors ?? []).map((e) => e.shape),
      authtype: op.authtype,
      auth: op.auth,
      idempotent: op.idempotent,
      readonly: op.readonly,
      deprecated: op.deprecated,
    };
    table.push(`  ${key(name)}: ${lit(info, '  ', key(name).length + 5)},`);
  }
  const meta: Record<string, Lit | undefined> = {};
  for (const k of METADATA_KEYS) {
    const v = g.model.metadata[k];
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) meta[k] = v as Lit;
  }
  return (
    `${header(g.version)}import type { OperationInfo, ServiceMetadata } from '../shape-table.js';\n` +
    importLine(structs, './types.js', true) +
    importLine(enums, './enums.js', true) +
    `\n/** Input and output type of every ${g.model.metadata.serviceId} operation. */\n` +
    `export interface ${g.prefix}Operations {\n${iface.join('\n')}\n}\n\n` +
    `export const metadata = ${lit(meta, '', 200)} as const satisfies ServiceMetadata;\n\n` +
    `export const operations = {\n${table.join('\n')}\n} as const satisfies Readonly<Record<string, OperationInfo>>;\n`
  );
}

const REF_KEYS = [
  'shape',
  'location',
  'locationName',
  'xmlName',
  'xmlNamespace',
  'xmlAttribute',
  'queryName',
  'flattened',
  'jsonvalue',
  'idempotencyToken',
  'hostLabel',
  'eventpayload',
  'timestampFormat',
] as const;

function ref(r: RawRef): Record<string, Lit | undefined> {
  const out: Record<string, Lit | undefined> = {};
  for (const k of REF_KEYS) {
    const v = r[k];
    if (k === 'xmlNamespace' && typeof v === 'object' && v !== null) {
      const uri = (v as { uri?: unknown }).uri;
      if (typeof uri === 'string') out[k] = uri;
      continue;
    }
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Shape-level traits we keep, per type, in this order. */
const SHAPE_KEYS: Readonly<Record<string, readonly string[]>> = {
  structure: ['required', 'payload', 'exception', 'fault', 'error', 'document', 'union', 'event', 'eventstream', 'sensitive'],
  list: ['min', 'max', 'flattened', 'locationName', 'sensitive'],
  map: ['min', 'max', 'flattened', 'locationName', 'sensitive'],
  string: ['min', 'max', 'pattern', 'enum', 'sensitive'],
  integer: ['min', 'max'],
  long: ['min', 'max'],
  float: ['min', 'max'],
  double: ['min', 'max'],
  boolean: [],
  timestamp: ['timestampFormat'],
  blob: ['min', 'max', 'streaming', 'requiresLength', 'sensitive'],
};

function genShapes(g: Gen): string {
  const lines: string[] = [];
  const uncompilable: string[] = [];
  for (const name of sortedNames(g.model.shapes)) {
    const s = shapeOf(g, name);
    const keys = SHAPE_KEYS[s.type];
    if (keys === undefined) throw new Error(`${g.svc}: shape ${name} has unknown type ${s.type}`);
    const o: Record<string, Lit | undefined> = { type: s.type };
    for (const k of keys) {
      const v = s[k];
      if (v === undefined) continue;
      if (k === 'error') {
        const e = v as NonNullable<RawShape['error']>;
        o.error = { code: e.code, httpStatusCode: e.httpStatusCode, senderFault: e.senderFault };
      } else o[k] = v as Lit;
    }
    if (s.type === 'structure') {
      const members: Record<string, Lit> = {};
      for (const [m, r] of Object.entries(s.members ?? {})) members[m] = ref(r);
      o.members = members;
    } else if (s.type === 'list') o.member = ref(s.member!);
    else if (s.type === 'map') {
      o.key = ref(s.key!);
      o.value = ref(s.value!);
    }
    if (s.pattern !== undefined && translateJavaPattern(s.pattern) === undefined) uncompilable.push(`//   ${name}: ${s.pattern}`);
    lines.push(`  ${key(name)}: ${lit(o, '  ', key(name).length + 5)},`);
  }
  const note =
    uncompilable.length === 0
      ? '// Every pattern compiles to a JS RegExp (see translateJavaPattern in ../validate.ts).\n'
      : `// Patterns the validator cannot compile (their check is skipped):\n${uncompilable.join('\n')}\n`;
  return (
    `${header(g.version)}${note}import type { ShapeTable } from '../shape-table.js';\n\n` +
    // Built on first use, not at start: a run touches few of the services, and the tables of the
    // others held megabytes of heap for nothing.
    `let table: ShapeTable | undefined;\n\n` +
    `/** The service's shapes, built the first time they are asked for. */\n` +
    `export function shapes(): ShapeTable {\n` +
    `  return (table ??= {\n${lines.join('\n').replace(/^/gm, '  ')}\n  } satisfies ShapeTable);\n}\n`
  );
}

function genIndex(g: Gen): string {
  return (
    `${header(g.version)}import type { ServiceModel } from '../shape-table.js';\n` +
    `import { metadata, operations } from './operations.js';\n` +
    `import { shapes } from './shapes.js';\n\n` +
    `export * from './enums.js';\n` +
    `export * from './errors.js';\n` +
    `export * from './types.js';\n` +
    `export type { ${g.prefix}Operations } from './operations.js';\n` +
    `export { metadata, operations, shapes };\n\n` +
    `export const ${g.svc}Model: ServiceModel = {\n` +
    `  metadata,\n` +
    `  operations,\n` +
    `  get shapes() {\n` +
    `    return shapes();\n` +
    `  },\n` +
    `};\n`
  );
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  const dataDir = botocoreDataDir();
  const version = botocoreVersion(dataDir);
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  for (const { dir, prefix } of SERVICES) {
    const g: Gen = { svc: dir, prefix, model: loadModel(dataDir, dir), version };
    checkNames(g);
    const out = join(root, 'src', 'model', dir);
    mkdirSync(out, { recursive: true });
    const files: [string, string][] = [
      ['types.ts', genTypes(g)],
      ['enums.ts', genEnums(g)],
      ['errors.ts', genErrors(g)],
      ['operations.ts', genOperations(g)],
      ['shapes.ts', genShapes(g)],
      ['index.ts', genIndex(g)],
    ];
    for (const [file, text] of files) writeFileSync(join(out, file), text);
    const ops = Object.keys(g.model.operations).length;
    const shapes = Object.keys(g.model.shapes).length;
    console.log(`src/model/${dir}: ${ops} operations, ${shapes} shapes (botocore ${version})`);
  }
}

main();
