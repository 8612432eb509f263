/**
 * Generic input validation against the generated shape tables (`src/model/<svc>/shapes.ts`).
 *
 * One pass over the decoded input does three things, the way AWS's request pipeline does them:
 *  1. type check + convert (JSON: epoch seconds → Date, base64 → Buffer; query/REST bindings:
 *     strings → numbers/booleans/…). A JSON type mismatch is a `SerializationException` and
 *     stops at once, as AWS's deserializer does before any constraint is looked at;
 *  2. drop members the model does not know (AWS JSON services ignore them);
 *  3. collect every constraint violation (required, length, range, enum, pattern) in member
 *     order and throw one error worded as AWS words it (see `ValidationStyle`).
 *
 * Everything the walk needs (RegExps, member plans, message fragments) is compiled once per
 * shape and cached in a WeakMap keyed by the model object, so a request costs one walk.
 */
import { AwsError, commonErrors } from '../aws/errors.js';
import type {
  BlobShape,
  MemberRef,
  NumberShape,
  ServiceModel,
  StringShape,
  StructureShape,
} from './shape-table.js';

// ---------------------------------------------------------------------------------------------
// Public API

/** Which constraint a violation broke. `member`/`mapKey`/`mapValue` are the element checks of a
 * list or map, reported once for the whole collection as AWS does. `type` is a string that
 * cannot be read as the member's type (query protocol and REST bindings only). */
export type ConstraintKind =
  | 'required'
  | 'min'
  | 'max'
  | 'pattern'
  | 'enum'
  | 'member'
  | 'mapKey'
  | 'mapValue'
  | 'type';

export interface Violation {
  /** AWS's path: `repositoryName`, `imageIds.1.member.imageTag`, `tags.1.member.key`. */
  readonly path: string;
  readonly kind: ConstraintKind;
  /** `Member must …` text (before any per-service override). */
  readonly message: string;
  /** The offending value (converted), `undefined`/`null` when missing. */
  readonly value: unknown;
  /** The value's shape is `sensitive`: AWS never echoes it. */
  readonly sensitive: boolean;
  /** Name of the shape whose constraint failed (the key of `ValidationStyle.messages`). */
  readonly shape: string;
  /** Java-style rendering for float/double values (`1.0`). */
  readonly decimal?: boolean;
}

/** How one service words constraint violations. */
export interface ValidationStyle {
  /** Wire error code (`ValidationException`, `ValidationError` for query services, …). */
  readonly code: string;
  /**
   * `coral`: `2 validation errors detected: Value 'x' at 'a' failed to satisfy constraint: M; Value …`
   * `invalid-parameter`: `Invalid parameter at 'a' failed to satisfy constraint: 'M'`, the first
   * violation only (ECR wraps its framework's errors this way).
   */
  readonly format: 'coral' | 'invalid-parameter';
  /** coral: echo the value (`Value 'abc' at …`) or not (`Value at …`). Sensitive values never are. */
  readonly renderValues: boolean;
  /**
   * Per shape name and constraint, a replacement for the `Member must …` text; `{min}`, `{max}`,
   * `{pattern}` are filled from the shape.
   */
  readonly messages?: Readonly<Record<string, Readonly<Partial<Record<ConstraintKind, string>>>>>;
}

export interface ValidateOptions {
  /** Overrides the service's default style (see `validationStyles`). */
  readonly style?: ValidationStyle;
}

/**
 * How each service answers a constraint violation, by `metadata.serviceId`. Services not listed
 * get `ValidationException` (JSON) / `ValidationError` (query) in the coral format, values shown.
 */
export const validationStyles: Readonly<Record<string, ValidationStyle>> = {
  // ECR turns its framework's ValidationException into InvalidParameterException and reports
  // one violation: "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must
  // have value less than or equal to 1000'", "... at 'imageIds' ... 'Member must have length
  // greater than or equal to 1'". Its own checks of repository names and registry ids word it
  // differently. — source: github.com/jenkins-x/jx/issues/1344,
  // github.com/hashicorp/terraform-provider-aws/issues/40309, github.com/aws/aws-dotnet-deploy/issues/549,
  // github.com/chanzuckerberg/single-cell-data-portal/pull/3781, puemos/aws-lambda-ecr-cleaner#3,
  // renovatebot's ECR maxResults fixtures.
  ECR: {
    code: 'InvalidParameterException',
    format: 'invalid-parameter',
    renderValues: false,
    messages: {
      RepositoryName: {
        min: 'must have length greater than or equal to {min}',
        max: 'must have length less than or equal to {max}',
        // The text still quotes the older grammar while matching the model's — source: public
        // transcripts 2018-2024 (jenkins-x/jx#1344, crossplane-contrib/provider-upjet-aws#1179).
        pattern: "must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*'",
      },
      RegistryId: { pattern: 'must satisfy regular expression {pattern}' },
    },
  },
  // IAM (query protocol) answers `ValidationError` and no longer echoes values:
  // "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: …",
  // "… Value at 'tagKeys' … Member must satisfy constraint: [Member must have length less than or
  // equal to 128, …, Member must not be null]" — source: TagUser/UntagUser answers recorded in
  // github.com/mulgadc/spinifex (handlers_iam tag tests). Older answers echoed the value.
  IAM: { code: 'ValidationError', format: 'coral', renderValues: false },
  // STS: "ValidationError: 1 validation error detected: Value 'x' at 'name' failed to satisfy
  // constraint: Member must have length less than or equal to 32" — source: tenesys/awsconsole#2.
  STS: { code: 'ValidationError', format: 'coral', renderValues: true },
};

const defaultJsonStyle: ValidationStyle = { code: 'ValidationException', format: 'coral', renderValues: true };
const defaultQueryStyle: ValidationStyle = { code: 'ValidationError', format: 'coral', renderValues: true };

export function validationStyleFor(model: ServiceModel): ValidationStyle {
  return (
    validationStyles[model.metadata.serviceId] ??
    (model.metadata.protocol === 'query' || model.metadata.protocol === 'ec2' ? defaultQueryStyle : defaultJsonStyle)
  );
}

/**
 * Checks and converts the decoded input of `operation` (a JSON body, or for rest-json the body
 * merged with the members bound to the URI, query string and headers, whose string values are
 * converted per shape). Returns a fresh object holding only modelled members; the caller casts
 * it to the generated input type. Throws `SerializationException` for a value of the wrong JSON
 * type and the service's validation error (see `validationStyles`) for constraint violations.
 */
export function validateInput(model: ServiceModel, operation: string, raw: unknown, options?: ValidateOptions): unknown {
  const compiled = compile(model);
  const input = compiled.input(operation);
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw) || isBytes(raw)) {
    throw serializationError(Array.isArray(raw) ? 'Start of list found where not expected' : 'Expected null');
  }
  return run(model, input, raw as Record<string, unknown>, false, options);
}

/**
 * The query protocol (IAM, STS): turns the flat form parameters (`Tags.member.1.Key=a`,
 * `MaxItems=10`; `Action` and `Version` are ignored) into the nested input following the
 * shapes, converts the strings per shape and validates as `validateInput` does. A string that
 * cannot be read as its member's type is reported as a violation, not a SerializationException.
 */
export function validateQueryInput(
  model: ServiceModel,
  operation: string,
  params: QueryParams,
  options?: ValidateOptions,
): unknown {
  const input = compile(model).input(operation);
  const nested = input === undefined ? {} : decodeStructure(input, buildTrie(params));
  return run(model, input, nested, true, options);
}

/** Form parameters as `URLSearchParams`, `[name, value]` pairs or a plain record. */
export type QueryParams = URLSearchParams | Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/**
 * The query decoding step of `validateQueryInput` alone: the nested input with every leaf
 * still a string (useful to protocol code and tests).
 */
export function decodeQueryInput(model: ServiceModel, operation: string, params: QueryParams): Record<string, unknown> {
  const input = compile(model).input(operation);
  return input === undefined ? {} : decodeStructure(input, buildTrie(params));
}

/** Turns violations into the one error AWS would answer with. */
export function validationError(violations: readonly Violation[], style: ValidationStyle): AwsError {
  if (style.format === 'invalid-parameter') {
    const v = violations[0];
    const text = v === undefined ? '' : `Invalid parameter at '${v.path}' failed to satisfy constraint: '${messageOf(v, style)}'`;
    return new AwsError(style.code, text, 400);
  }
  const parts = violations.map((v) => `Value${valueText(v, style)} at '${v.path}' failed to satisfy constraint: ${messageOf(v, style)}`);
  const n = violations.length;
  return new AwsError(style.code, `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`, 400);
}

// ---------------------------------------------------------------------------------------------
// Java → JavaScript regular expressions

/**
 * Compiles a model pattern (a Java regex) for a whole-value match, or returns `undefined` when
 * it uses Java syntax JS cannot express (nested/intersected classes, `\G`, inline flag groups…);
 * the caller then skips the check. Translations: `\p{Alpha}`-style POSIX classes, `\z`, `\Z`,
 * `\A`, `\Q…\E`, `\x{…}`, `\h`, `\v`, Java's ASCII `\s`, escaped punctuation that the `u` flag
 * rejects (`\:`), a `-` next to a class escape (`[\w-]`); possessive quantifiers and atomic
 * groups become greedy/plain groups (an approximation: they can only accept more).
 */
export function translateJavaPattern(pattern: string): RegExp | undefined {
  const t = translate(pattern);
  if (t === undefined) return undefined;
  try {
    return new RegExp(`^(?:${t.source})$`, `u${t.flags}`);
  } catch {
    return undefined;
  }
}

const SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const JAVA_SPACE = '\\t\\n\\x0B\\f\\r ';
const JAVA_HSPACE = '\\t \\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
const JAVA_VSPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';
/** Java's `\S` inside a class: JS's `\S` plus the spaces JS's `\s` has and Java's does not. */
const JS_ONLY_SPACE_NEGATION = '\\S\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
/** Java's POSIX classes (US-ASCII only, as Java defines them), as class contents. */
const POSIX: Readonly<Record<string, string>> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: JAVA_SPACE,
};
const CLASS_ESCAPES = new Set(['w', 'W', 'd', 'D', 's', 'S', 'p', 'P', 'h', 'H', 'v', 'V']);

function translate(p: string): { source: string; flags: string } | undefined {
  let out = '';
  let flags = '';
  let i = 0;
  if (p.startsWith('(?i)')) {
    flags = 'i';
    i = 4;
  }
  let inClass = false;
  let classFirst = false; // at the first atom of a class (after `[` or `[^`)
  let prevClassEscape = false; // the previous class atom was a multi-character escape
  const n = p.length;
  while (i < n) {
    const c = p[i] as string;
    if (c === '\\') {
      if (i + 1 >= n) return undefined;
      const e = p[i + 1] as string;
      i += 2;
      if (e === 'Q') {
        const end = p.indexOf('\\E', i);
        const lit = end < 0 ? p.slice(i) : p.slice(i, end);
        i = end < 0 ? n : end + 2;
        for (const ch of lit) out += escapeLiteral(ch, inClass);
        prevClassEscape = false;
        classFirst = false;
        continue;
      }
      let piece: string | undefined;
      let isClassEscape = false;
      if (e === 'p' || e === 'P') {
        let name: string;
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          if (end < 0) return undefined;
          name = p.slice(i + 1, end);
          i = end + 1;
        } else {
          name = p[i] ?? '';
          i += 1;
        }
        piece = unicodeProperty(name, e === 'P', inClass);
        isClassEscape = true;
      } else if (e === 's' || e === 'S' || e === 'h' || e === 'H' || e === 'v' || e === 'V') {
        const set = e === 's' || e === 'S' ? JAVA_SPACE : e === 'h' || e === 'H' ? JAVA_HSPACE : JAVA_VSPACE;
        const negated = e === 'S' || e === 'H' || e === 'V';
        if (!negated) piece = inClass ? set : `[${set}]`;
        else piece = inClass ? (e === 'S' ? JS_ONLY_SPACE_NEGATION : undefined) : `[^${set}]`;
        isClassEscape = true;
      } else if (e === 'w' || e === 'W' || e === 'd' || e === 'D') {
        piece = `\\${e}`;
        isClassEscape = true;
      } else if (e === 'z') {
        piece = inClass ? undefined : '$';
      } else if (e === 'Z') {
        piece = inClass ? undefined : '(?=\\n?$)';
      } else if (e === 'A') {
        piece = inClass ? undefined : '^';
      } else if (e === 'R') {
        piece = inClass ? undefined : `(?:\\r\\n|[${JAVA_VSPACE}])`;
      } else if (e === 'x') {
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          if (end < 0) return undefined;
          piece = `\\u{${p.slice(i + 1, end)}}`;
          i = end + 1;
        } else {
          piece = `\\x${p.slice(i, i + 2)}`;
          i += 2;
        }
      } else if (e === 'u') {
        piece = `\\u${p.slice(i, i + 4)}`;
        i += 4;
      } else if (e === '0') {
        let j = i;
        while (j < n && j < i + 3 && /[0-7]/.test(p[j] as string)) j++;
        const code = parseInt(p.slice(i, j) || '0', 8);
        i = j;
        piece = `\\u{${code.toString(16)}}`;
      } else if (e === 'e') {
        piece = '\\x1B';
      } else if (e === 'a') {
        piece = '\\x07';
      } else if (e === 'c') {
        piece = `\\c${p[i] ?? ''}`;
        i += 1;
      } else if (e === 'k') {
        piece = inClass ? undefined : '\\k';
      } else if ('nrtf'.includes(e)) {
        piece = `\\${e}`;
      } else if (e === 'b' || e === 'B') {
        piece = inClass ? undefined : `\\${e}`;
      } else if (/[1-9]/.test(e)) {
        piece = inClass ? undefined : `\\${e}`;
      } else if (/[A-Za-z0-9]/.test(e)) {
        piece = undefined; // \G and other escapes JS has no counterpart for
      } else {
        piece = escapeLiteral(e, inClass);
      }
      if (piece === undefined) return undefined;
      if (inClass && isClassEscape && out.endsWith('-') && !out.endsWith('\\-') && !classFirst) {
        // `[a-\w]`: Java reads the dash literally; the u flag rejects a range to a class escape
        out = `${out.slice(0, -1)}\\-`;
      }
      out += piece;
      prevClassEscape = inClass && isClassEscape;
      classFirst = false;
      continue;
    }
    if (inClass) {
      if (c === ']' && !classFirst) {
        inClass = false;
        out += ']';
        i += 1;
        continue;
      }
      if (c === '[') return undefined; // Java class union
      if (c === '&' && p[i + 1] === '&') return undefined; // Java class intersection
      if (c === '-') {
        const next = p[i + 1];
        const nextIsClassEscape = next === '\\' && CLASS_ESCAPES.has(p[i + 2] ?? '');
        out += prevClassEscape || nextIsClassEscape || classFirst || next === ']' ? '\\-' : '-';
      } else {
        out += c === ']' ? '\\]' : c;
      }
      prevClassEscape = false;
      classFirst = false;
      i += 1;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        classFirst = true;
        prevClassEscape = false;
        out += '[';
        i += 1;
        if (p[i] === '^') {
          out += '^';
          i += 1;
        }
        continue;
      case '(':
        if (p[i + 1] === '?') {
          const rest = p.slice(i + 2);
          if (rest.startsWith('>')) {
            out += '(?:'; // atomic group → plain group
            i += 3;
            continue;
          }
          if (/^(?:[:=!]|<[=!]|<[A-Za-z])/.test(rest)) {
            out += '(?';
            i += 2;
            continue;
          }
          return undefined; // inline flags in the middle of a pattern
        }
        out += '(';
        i += 1;
        continue;
      case '{': {
        const m = /^\{\d+(?:,\d*)?\}/.exec(p.slice(i));
        if (m) {
          out += m[0];
          i += m[0].length;
          if (p[i] === '?') {
            out += '?';
            i += 1;
          } else if (p[i] === '+') {
            i += 1; // possessive → greedy
          }
        } else {
          out += '\\{';
          i += 1;
        }
        continue;
      }
      case '}':
      case ']':
        out += `\\${c}`;
        i += 1;
        continue;
      case '*':
      case '+':
      case '?':
        out += c;
        i += 1;
        if (p[i] === '?') {
          out += '?';
          i += 1;
        } else if (p[i] === '+') {
          i += 1; // possessive → greedy
        }
        continue;
      default:
        out += c;
        i += 1;
    }
  }
  if (inClass) return undefined;
  return { source: out, flags };
}

function escapeLiteral(ch: string, inClass: boolean): string {
  if (SYNTAX.has(ch) || (inClass && ch === '-')) return `\\${ch}`;
  return ch;
}

function unicodeProperty(name: string, negated: boolean, inClass: boolean): string | undefined {
  const posix = POSIX[name];
  if (posix !== undefined) {
    if (inClass) return negated ? undefined : posix;
    return negated ? `[^${posix}]` : `[${posix}]`;
  }
  let js: string | undefined;
  if (/^(?:L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfson]?)$/.test(name)) js = name;
  else if (/^Is(?:L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfson]?)$/.test(name)) js = name.slice(2);
  else if (name === 'IsAlphabetic') js = 'Alphabetic';
  else if (name === 'IsWhite_Space' || name === 'IsWhiteSpace') js = 'White_Space';
  else if (/^(?:Is|In)?(?:Latin|Greek|Cyrillic|Han|Hiragana|Katakana|Arabic|Hebrew)$/.test(name)) {
    js = `Script=${name.replace(/^(?:Is|In)/, '')}`;
  }
  if (js === undefined) return undefined;
  return `\\${negated ? 'P' : 'p'}{${js}}`;
}

// ---------------------------------------------------------------------------------------------
// Compiled plans

interface StructNode {
  readonly kind: 'structure';
  readonly shape: string;
  readonly document: boolean;
  readonly members: MemberPlan[];
}

interface MemberPlan {
  readonly name: string;
  /** Path segment: the member name with its first letter lower-cased, as AWS prints it. */
  readonly seg: string;
  /** Query protocol: the parameter name (`locationName` or the member name). */
  readonly wire: string;
  readonly required: boolean;
  /** Bound to the URI, query string or headers (rest-json): its strings are converted. */
  readonly bound: boolean;
  node: Node;
}

interface ListNode {
  readonly kind: 'list';
  readonly shape: string;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly sensitive: boolean;
  readonly flattened: boolean;
  /** Query protocol: the element name (`member`). */
  readonly memberWire: string;
  member: Node;
}

interface MapNode {
  readonly kind: 'map';
  readonly shape: string;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly sensitive: boolean;
  readonly flattened: boolean;
  readonly keyWire: string;
  readonly valueWire: string;
  key: Node;
  value: Node;
}

interface StringNode {
  readonly kind: 'string';
  readonly shape: string;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly pattern: string | undefined;
  /** `undefined` when there is no pattern or it cannot be compiled (the check is skipped). */
  readonly regex: RegExp | undefined;
  readonly enumSet: ReadonlySet<string> | undefined;
  readonly enumText: string | undefined;
  readonly sensitive: boolean;
}

interface NumberNode {
  readonly kind: 'number';
  readonly shape: string;
  readonly type: NumberShape['type'];
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly sensitive: boolean;
}

interface BlobNode {
  readonly kind: 'blob';
  readonly shape: string;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly sensitive: boolean;
}

interface SimpleNode {
  readonly kind: 'boolean' | 'timestamp';
  readonly shape: string;
  readonly sensitive: boolean;
}

type Node = StructNode | ListNode | MapNode | StringNode | NumberNode | BlobNode | SimpleNode;

interface CompiledModel {
  input(operation: string): StructNode | undefined;
}

const PENDING: SimpleNode = { kind: 'boolean', shape: '<pending>', sensitive: false };
const compiledModels = new WeakMap<ServiceModel, CompiledModel>();
/** Element-constraint listings (`[Member must …, …]`), computed on first use. */
const listings = new WeakMap<Node, string>();

function compile(model: ServiceModel): CompiledModel {
  let compiled = compiledModels.get(model);
  if (compiled !== undefined) return compiled;
  const nodes = new Map<string, Node>();
  const inputs = new Map<string, StructNode | undefined>();

  const node = (name: string): Node => {
    const existing = nodes.get(name);
    if (existing !== undefined) return existing;
    const shape = model.shapes[name];
    if (shape === undefined) throw new Error(`model ${model.metadata.serviceId}: unknown shape ${name}`);
    const sensitive = shape.sensitive === true;
    switch (shape.type) {
      case 'structure': {
        const s: StructNode = { kind: 'structure', shape: name, document: shape.document === true, members: [] };
        nodes.set(name, s);
        fillMembers(s, shape);
        return s;
      }
      case 'list': {
        const l: ListNode = {
          kind: 'list',
          shape: name,
          min: shape.min,
          max: shape.max,
          sensitive,
          flattened: shape.flattened === true,
          memberWire: shape.member.locationName ?? 'member',
          member: PENDING,
        };
        nodes.set(name, l);
        l.member = node(shape.member.shape);
        return l;
      }
      case 'map': {
        const m: MapNode = {
          kind: 'map',
          shape: name,
          min: shape.min,
          max: shape.max,
          sensitive,
          flattened: shape.flattened === true,
          keyWire: shape.key.locationName ?? 'key',
          valueWire: shape.value.locationName ?? 'value',
          key: PENDING,
          value: PENDING,
        };
        nodes.set(name, m);
        m.key = node(shape.key.shape);
        m.value = node(shape.value.shape);
        return m;
      }
      case 'string': {
        const s: StringNode = compileString(name, shape);
        nodes.set(name, s);
        return s;
      }
      case 'integer':
      case 'long':
      case 'float':
      case 'double': {
        const num: NumberNode = { kind: 'number', shape: name, type: shape.type, min: shape.min, max: shape.max, sensitive };
        nodes.set(name, num);
        return num;
      }
      case 'blob': {
        const b: BlobNode = compileBlob(name, shape);
        nodes.set(name, b);
        return b;
      }
      case 'boolean':
      case 'timestamp': {
        const s: SimpleNode = { kind: shape.type, shape: name, sensitive };
        nodes.set(name, s);
        return s;
      }
    }
  };

  const fillMembers = (s: StructNode, shape: StructureShape): void => {
    const required = new Set(shape.required ?? []);
    for (const [memberName, ref] of Object.entries(shape.members)) {
      const plan: MemberPlan = {
        name: memberName,
        seg: lowerFirst(memberName),
        wire: queryWireName(model, memberName, ref),
        required: required.has(memberName),
        bound: ref.location !== undefined,
        node: PENDING,
      };
      s.members.push(plan);
      plan.node = node(ref.shape);
    }
  };

  compiled = {
    input(operation: string): StructNode | undefined {
      if (inputs.has(operation)) return inputs.get(operation);
      const op = Object.hasOwn(model.operations, operation) ? model.operations[operation] : undefined;
      if (op === undefined) throw commonErrors.unknownOperation();
      let result: StructNode | undefined;
      if (op.input !== undefined) {
        const n = node(op.input);
        if (n.kind !== 'structure') throw new Error(`model ${model.metadata.serviceId}: input of ${operation} is not a structure`);
        result = n;
      }
      inputs.set(operation, result);
      return result;
    },
  };
  compiledModels.set(model, compiled);
  return compiled;
}

function compileString(name: string, shape: StringShape): StringNode {
  return {
    kind: 'string',
    shape: name,
    min: shape.min,
    max: shape.max,
    pattern: shape.pattern,
    regex: shape.pattern === undefined ? undefined : translateJavaPattern(shape.pattern),
    enumSet: shape.enum === undefined ? undefined : new Set(shape.enum),
    enumText: shape.enum === undefined ? undefined : `[${shape.enum.join(', ')}]`,
    sensitive: shape.sensitive === true,
  };
}

function compileBlob(name: string, shape: BlobShape): BlobNode {
  return { kind: 'blob', shape: name, min: shape.min, max: shape.max, sensitive: shape.sensitive === true };
}

function queryWireName(model: ServiceModel, memberName: string, ref: MemberRef): string {
  const target = model.shapes[ref.shape];
  // A flattened list serialises its elements under the list member's own name when it has one.
  if (target?.type === 'list' && target.flattened === true && target.member.locationName !== undefined) {
    return target.member.locationName;
  }
  return ref.locationName ?? memberName;
}

export function lowerFirst(s: string): string {
  return s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// The walk

interface Ctx {
  readonly violations: Violation[];
}

function run(
  model: ServiceModel,
  input: StructNode | undefined,
  raw: Record<string, unknown>,
  coerce: boolean,
  options: ValidateOptions | undefined,
): unknown {
  if (input === undefined) return {};
  const ctx: Ctx = { violations: [] };
  const out = convertStructure(input, raw, coerce, '', ctx);
  if (ctx.violations.length > 0) throw validationError(ctx.violations, options?.style ?? validationStyleFor(model));
  return out;
}

function join(parent: string, seg: string): string {
  return parent === '' ? seg : `${parent}.${seg}`;
}

function convertStructure(node: StructNode, raw: Record<string, unknown>, coerce: boolean, path: string, ctx: Ctx): unknown {
  if (node.document) return raw;
  const out: Record<string, unknown> = {};
  const members = node.members;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    const v = Object.hasOwn(raw, m.name) ? raw[m.name] : undefined;
    if (v === undefined || v === null) {
      if (m.required) push(ctx, join(path, m.seg), 'required', 'Member must not be null', v, m.node);
      continue;
    }
    const converted = convertValue(m.node, v, coerce || m.bound, path, m.seg, ctx);
    if (converted !== undefined) out[m.name] = converted;
  }
  return out;
}

/** Converts one present value and checks its own constraints. `undefined` = dropped. */
function convertValue(node: Node, v: unknown, coerce: boolean, parent: string, seg: string, ctx: Ctx): unknown {
  switch (node.kind) {
    case 'structure': {
      if (node.document) return v;
      return convertStructure(node, asObject(v, 'Expected null'), coerce, join(parent, seg), ctx);
    }
    case 'list': {
      const path = join(parent, seg);
      const out = convertList(node, v, coerce, path, ctx);
      const kind = lengthFailure(node.min, node.max, out.length);
      if (kind !== undefined) push(ctx, path, kind, lengthMessage(kind, node), out, node);
      checkListElements(node, out, path, ctx);
      return out;
    }
    case 'map': {
      const path = join(parent, seg);
      const out = convertMap(node, v, coerce, path, ctx);
      const kind = lengthFailure(node.min, node.max, Object.keys(out).length);
      if (kind !== undefined) push(ctx, path, kind, lengthMessage(kind, node), out, node);
      checkMapEntries(node, out, path, ctx);
      return out;
    }
    default: {
      const converted = convertScalar(node, v, coerce);
      if (converted === BAD) {
        push(ctx, join(parent, seg), 'type', typeMessage(node), v, node);
        return undefined;
      }
      checkScalar(node, converted, parent, seg, ctx);
      return converted;
    }
  }
}

function convertList(node: ListNode, v: unknown, coerce: boolean, path: string, ctx: Ctx): unknown[] {
  if (!Array.isArray(v)) {
    if (coerce && typeof v === 'string' && node.member.kind !== 'structure') return v === '' ? [] : [v];
    if (typeof v === 'object' && v !== null && !isBytes(v)) throw serializationError('Start of structure or map found where not expected.');
    throw serializationError('Expected list or null');
  }
  const member = node.member;
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    const el: unknown = v[i];
    if (el === null || el === undefined) {
      out[i] = null;
      continue;
    }
    out[i] = convertElement(member, el, coerce, `${path}.${i + 1}.member`, ctx);
  }
  return out;
}

function convertMap(node: MapNode, v: unknown, coerce: boolean, path: string, ctx: Ctx): Record<string, unknown> {
  const obj = asObject(v, 'Expected map or null');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    const el = obj[key];
    const converted = el === null || el === undefined ? null : convertElement(node.value, el, coerce, `${path}.${key}.member`, ctx);
    if (key === '__proto__') Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true, configurable: true });
    else out[key] = converted;
  }
  return out;
}

/**
 * A list element or map value: structures are walked with their own paths
 * (`imageIds.1.member.imageTag`); scalars, lists and maps are converted here and their own
 * constraints are checked by the collection (`Member must satisfy constraint: [...]`).
 */
function convertElement(node: Node, el: unknown, coerce: boolean, path: string, ctx: Ctx): unknown {
  switch (node.kind) {
    case 'structure':
      return node.document ? el : convertStructure(node, asObject(el, 'Expected null'), coerce, path, ctx);
    case 'list': {
      const out = convertList(node, el, coerce, path, ctx);
      checkListElements(node, out, path, ctx);
      return out;
    }
    case 'map': {
      const out = convertMap(node, el, coerce, path, ctx);
      checkMapEntries(node, out, path, ctx);
      return out;
    }
    default: {
      const converted = convertScalar(node, el, coerce);
      if (converted === BAD) {
        push(ctx, path, 'type', typeMessage(node), el, node);
        return null;
      }
      return converted;
    }
  }
}

function checkListElements(node: ListNode, out: readonly unknown[], path: string, ctx: Ctx): void {
  const member = node.member;
  if (member.kind === 'structure') {
    for (const el of out) {
      if (el === null) {
        push(ctx, path, 'member', `Member must satisfy constraint: [${listing(member, true)}]`, out, node);
        return;
      }
    }
    return;
  }
  for (const el of out) {
    if (el === null || !elementOk(member, el)) {
      push(ctx, path, 'member', `Member must satisfy constraint: [${listing(member, true)}]`, out, node);
      return;
    }
  }
}

function checkMapEntries(node: MapNode, out: Record<string, unknown>, path: string, ctx: Ctx): void {
  const keys = Object.keys(out);
  if (node.key.kind !== 'structure') {
    for (const k of keys) {
      if (!elementOk(node.key, k)) {
        push(ctx, path, 'mapKey', `Map keys must satisfy constraint: [${listing(node.key, false)}]`, out, node);
        break;
      }
    }
  }
  if (node.value.kind !== 'structure') {
    for (const k of keys) {
      const el = out[k];
      if (el === null || !elementOk(node.value, el)) {
        const nullPart = el === null ? ', Member must not be null' : '';
        push(ctx, path, 'mapValue', `Map value must satisfy constraint: [${listing(node.value, false)}${nullPart}]`, out, node);
        break;
      }
    }
  }
}

/** Whether an element (already converted) satisfies its shape's own constraints. */
function elementOk(node: Node, el: unknown): boolean {
  switch (node.kind) {
    case 'string':
      return stringFailures(node, el as string) === 0;
    case 'number': {
      const n = el as number;
      return !((node.min !== undefined && n < node.min) || (node.max !== undefined && n > node.max));
    }
    case 'blob':
      return lengthFailure(node.min, node.max, (el as Uint8Array).length) === undefined;
    case 'list':
      return lengthFailure(node.min, node.max, (el as unknown[]).length) === undefined;
    case 'map':
      return lengthFailure(node.min, node.max, Object.keys(el as object).length) === undefined;
    default:
      return true;
  }
}

/** AWS lists every constraint of the element shape: max, min, pattern, enum (, not null). */
function listing(node: Node, notNull: boolean): string {
  let text = listings.get(node);
  if (text === undefined) {
    const parts: string[] = [];
    switch (node.kind) {
      case 'string':
      case 'blob':
      case 'list':
      case 'map':
        if (node.max !== undefined) parts.push(`Member must have length less than or equal to ${node.max}`);
        if (node.min !== undefined) parts.push(`Member must have length greater than or equal to ${node.min}`);
        if (node.kind === 'string') {
          if (node.pattern !== undefined) parts.push(`Member must satisfy regular expression pattern: ${node.pattern}`);
          if (node.enumText !== undefined) parts.push(`Member must satisfy enum value set: ${node.enumText}`);
        }
        break;
      case 'number':
        if (node.max !== undefined) parts.push(`Member must have value less than or equal to ${javaNumber(node.max, node.type)}`);
        if (node.min !== undefined) parts.push(`Member must have value greater than or equal to ${javaNumber(node.min, node.type)}`);
        break;
      default:
        break;
    }
    text = parts.join(', ');
    listings.set(node, text);
  }
  if (!notNull) return text;
  return text === '' ? 'Member must not be null' : `${text}, Member must not be null`;
}

/** Own constraints of a scalar member, pushed in AWS's order: length/range, pattern, enum. */
function checkScalar(node: Node, v: unknown, parent: string, seg: string, ctx: Ctx): void {
  switch (node.kind) {
    case 'string': {
      const s = v as string;
      const len = s.length;
      if (node.min !== undefined && len < node.min) {
        push(ctx, join(parent, seg), 'min', `Member must have length greater than or equal to ${node.min}`, s, node);
      } else if (node.max !== undefined && len > node.max) {
        push(ctx, join(parent, seg), 'max', `Member must have length less than or equal to ${node.max}`, s, node);
      }
      if (node.regex !== undefined && !node.regex.test(s)) {
        push(ctx, join(parent, seg), 'pattern', `Member must satisfy regular expression pattern: ${node.pattern}`, s, node);
      }
      if (node.enumSet !== undefined && !node.enumSet.has(s)) {
        push(ctx, join(parent, seg), 'enum', `Member must satisfy enum value set: ${node.enumText}`, s, node);
      }
      return;
    }
    case 'number': {
      const n = v as number;
      if (node.min !== undefined && n < node.min) {
        push(ctx, join(parent, seg), 'min', `Member must have value greater than or equal to ${javaNumber(node.min, node.type)}`, n, node);
      } else if (node.max !== undefined && n > node.max) {
        push(ctx, join(parent, seg), 'max', `Member must have value less than or equal to ${javaNumber(node.max, node.type)}`, n, node);
      }
      return;
    }
    case 'blob': {
      const kind = lengthFailure(node.min, node.max, (v as Uint8Array).length);
      if (kind !== undefined) push(ctx, join(parent, seg), kind, lengthMessage(kind, node), v, node);
      return;
    }
    default:
      return;
  }
}

/** Bit set of failing string constraints (0 = valid). */
function stringFailures(node: StringNode, s: string): number {
  let f = 0;
  if ((node.min !== undefined && s.length < node.min) || (node.max !== undefined && s.length > node.max)) f |= 1;
  if (node.regex !== undefined && !node.regex.test(s)) f |= 2;
  if (node.enumSet !== undefined && !node.enumSet.has(s)) f |= 4;
  return f;
}

function lengthFailure(min: number | undefined, max: number | undefined, len: number): 'min' | 'max' | undefined {
  if (min !== undefined && len < min) return 'min';
  if (max !== undefined && len > max) return 'max';
  return undefined;
}

function lengthMessage(kind: 'min' | 'max', node: { readonly min: number | undefined; readonly max: number | undefined }): string {
  return kind === 'min'
    ? `Member must have length greater than or equal to ${node.min}`
    : `Member must have length less than or equal to ${node.max}`;
}

/**
 * A query/REST string that cannot be read as its member's type. AWS's exact wording for this
 * case is not known to us (unverified); the code is the service's validation code.
 */
function typeMessage(node: Node): string {
  switch (node.kind) {
    case 'number':
      return node.type === 'integer' || node.type === 'long' ? 'Member must be an integer' : 'Member must be a number';
    case 'boolean':
      return 'Member must be a boolean';
    case 'timestamp':
      return 'Member must be a timestamp';
    case 'blob':
      return 'Member must be base64 encoded';
    default:
      return 'Member must be a string';
  }
}

function push(ctx: Ctx, path: string, kind: ConstraintKind, message: string, value: unknown, node: Node): void {
  const decimal = node.kind === 'number' && (node.type === 'float' || node.type === 'double');
  const sensitive = 'sensitive' in node && node.sensitive;
  ctx.violations.push({ path, kind, message, value, sensitive, shape: node.shape, ...(decimal ? { decimal } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Scalars

const BAD: unique symbol = Symbol('bad');

const TARGET: Readonly<Record<string, string>> = {
  string: 'a String',
  integer: 'an Integer',
  long: 'a Long',
  float: 'a Float',
  double: 'a Double',
  boolean: 'a Boolean',
  blob: 'a Blob',
  timestamp: 'milliseconds since epoch',
};

/**
 * JSON value → model value. With `coerce` (query protocol, REST bindings) strings are read as
 * the member's type and a string that cannot be is `BAD` (a violation); otherwise a JSON value
 * of the wrong type throws `SerializationException` worded as AWS's JSON deserializer
 * ("STRING_VALUE can not be converted to an Integer").
 */
function convertScalar(node: Node, v: unknown, coerce: boolean): unknown {
  switch (node.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      throw jsonTypeError(v, TARGET.string!);
    case 'number': {
      if (typeof v === 'number' && Number.isFinite(v)) return toNumber(node, v);
      if (coerce && typeof v === 'string') {
        const t = v.trim();
        const intLike = node.type === 'integer' || node.type === 'long';
        if (intLike ? !/^[+-]?\d+$/.test(t) : t === '' || Number.isNaN(Number(t))) return BAD;
        return toNumber(node, Number(t));
      }
      throw jsonTypeError(v, TARGET[node.type]!);
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (coerce && typeof v === 'string') return v === 'true' ? true : v === 'false' ? false : BAD;
      throw jsonTypeError(v, TARGET.boolean!);
    case 'timestamp':
      if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
      if (v instanceof Date) return v;
      if (coerce && typeof v === 'string') {
        const t = v.trim();
        const ms = /^[+-]?\d+(?:\.\d+)?$/.test(t) ? Number(t) * 1000 : Date.parse(t);
        return Number.isNaN(ms) ? BAD : new Date(ms);
      }
      throw jsonTypeError(v, TARGET.timestamp!);
    case 'blob':
      if (isBytes(v)) return v;
      if (typeof v === 'string') {
        if (coerce) return decodeBase64Lenient(v);
        return decodeBase64(v);
      }
      throw jsonTypeError(v, TARGET.blob!);
    default:
      return v;
  }
}

function toNumber(node: NumberNode, v: number): number {
  if (node.type === 'integer' || node.type === 'long') {
    const n = Math.trunc(v);
    if (node.type === 'integer' && (n > 2147483647 || n < -2147483648)) throw jsonTypeError(v, TARGET.integer!);
    return n;
  }
  return v;
}

function jsonTypeError(v: unknown, target: string): AwsError {
  if (Array.isArray(v)) return serializationError('Start of list found where not expected');
  if (typeof v === 'object' && v !== null) return serializationError('Start of structure or map found where not expected.');
  const token = typeof v === 'string' ? 'STRING_VALUE' : typeof v === 'number' ? 'NUMBER_VALUE' : v === true ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return serializationError(`${token} can not be converted to ${target}`);
}

function serializationError(message: string): AwsError {
  return new AwsError('SerializationException', message, 400);
}

function asObject(v: unknown, scalarMessage: string): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !isBytes(v)) return v as Record<string, unknown>;
  if (Array.isArray(v)) throw serializationError('Start of list found where not expected');
  throw serializationError(scalarMessage);
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

const BASE64_BAD_CHAR = /[^A-Za-z0-9+/=]|=[^=]/;

/** Strict base64 as AWS's JSON deserializer reads it (messages recorded by dynalite from DynamoDB). */
function decodeBase64(s: string): Buffer {
  if (s.length % 4 !== 0) {
    throw serializationError(
      `'${s}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: ${s.length}`,
    );
  }
  // Node's decoder skips characters it does not know, so a clean string decodes to exactly
  // 3/4 of its length minus the padding; only a string that does not needs the slow scan.
  const buf = Buffer.from(s, 'base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (buf.length !== (s.length / 4) * 3 - pad || BASE64_BAD_CHAR.test(s.slice(-4))) {
    const bad = BASE64_BAD_CHAR.exec(s);
    if (bad !== null) throw serializationError(`'${s}' can not be converted to a Blob: Invalid Base64 character: '${bad[0][0]}'`);
  }
  const tail = s.slice(-4);
  if (tail.length === 4 && Buffer.from(tail, 'base64').toString('base64') !== tail) {
    throw serializationError(`'${s}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected`);
  }
  return buf;
}

function decodeBase64Lenient(s: string): Buffer | typeof BAD {
  return /^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(s) ? Buffer.from(s, 'base64') : BAD;
}

// ---------------------------------------------------------------------------------------------
// Messages

function messageOf(v: Violation, style: ValidationStyle): string {
  const override = style.messages?.[v.shape]?.[v.kind];
  if (override === undefined) return v.message;
  return override.replace(/\{(min|max|pattern)\}/g, (_, key: string) => constraintValue(v, key));
}

function constraintValue(v: Violation, key: string): string {
  // The override templates only need the numbers and pattern already present in the message.
  if (key === 'pattern') {
    const i = v.message.indexOf('pattern: ');
    return i < 0 ? '' : v.message.slice(i + 'pattern: '.length);
  }
  const m = /(-?[\d.]+)$/.exec(v.message);
  return m?.[1] ?? '';
}

function valueText(v: Violation, style: ValidationStyle): string {
  if (!style.renderValues || v.sensitive) return '';
  if (v.value === undefined || v.value === null) return ' null';
  return ` '${render(v.value, v.decimal === true)}'`;
}

/** A value as Java's `toString` prints it (AWS's messages come from there). */
function render(v: unknown, decimal = false): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return decimal ? javaNumber(v, 'double') : String(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (isBytes(v)) return `java.nio.HeapByteBuffer[pos=0 lim=${v.length} cap=${v.length}]`;
  if (Array.isArray(v)) return `[${v.map((x) => render(x)).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${render(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function javaNumber(n: number, type: NumberShape['type']): string {
  if ((type === 'float' || type === 'double') && Number.isInteger(n)) return `${n}.0`;
  return String(n);
}

// ---------------------------------------------------------------------------------------------
// Query protocol decoding

interface Trie {
  value?: string;
  children?: Map<string, Trie>;
}

function buildTrie(params: QueryParams): Trie {
  const root: Trie = {};
  const entries: Iterable<readonly [string, string]> =
    params instanceof URLSearchParams || Symbol.iterator in params
      ? (params as Iterable<readonly [string, string]>)
      : Object.entries(params as Readonly<Record<string, string>>);
  for (const [key, value] of entries) {
    let node = root;
    let start = 0;
    for (;;) {
      const dot = key.indexOf('.', start);
      const seg = dot < 0 ? key.slice(start) : key.slice(start, dot);
      node.children ??= new Map();
      let child = node.children.get(seg);
      if (child === undefined) {
        child = {};
        node.children.set(seg, child);
      }
      node = child;
      if (dot < 0) break;
      start = dot + 1;
    }
    node.value = value;
  }
  return root;
}

function decodeStructure(node: StructNode, trie: Trie): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (trie.children === undefined) return out;
  for (const m of node.members) {
    const child = trie.children.get(m.wire);
    if (child === undefined) continue;
    const v = decodeQueryValue(m.node, child);
    if (v !== undefined) out[m.name] = v;
  }
  return out;
}

function decodeQueryValue(node: Node, trie: Trie): unknown {
  switch (node.kind) {
    case 'structure':
      return node.document ? trie.value : decodeStructure(node, trie);
    case 'list': {
      const holder = node.flattened ? trie : trie.children?.get(node.memberWire);
      const items = indexed(holder);
      if (items.length === 0) return trie.value === '' || holder !== undefined ? [] : undefined;
      return items.map((t) => decodeQueryValue(node.member, t) ?? null);
    }
    case 'map': {
      const holder = node.flattened ? trie : trie.children?.get('entry');
      const out: Record<string, unknown> = {};
      for (const entry of indexed(holder)) {
        const key = entry.children?.get(node.keyWire)?.value;
        if (key === undefined) continue;
        const valueTrie = entry.children?.get(node.valueWire);
        const value = valueTrie === undefined ? null : (decodeQueryValue(node.value, valueTrie) ?? null);
        if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      return out;
    }
    default:
      return trie.value;
  }
}

/** The `1`, `2`, … children of a query node, in index order. */
function indexed(trie: Trie | undefined): Trie[] {
  if (trie?.children === undefined) return [];
  const found: [number, Trie][] = [];
  for (const [seg, child] of trie.children) {
    if (/^[1-9]\d*$/.test(seg)) found.push([Number(seg), child]);
  }
  found.sort((a, b) => a[0] - b[0]);
  return found.map(([, child]) => child);
}
