/**
 * The types of the generated model tables (`src/model/<svc>/{shapes,operations,index}.ts`).
 *
 * The tables are plain data taken from botocore's `service-2.json`, minus documentation: the
 * validator (`validate.ts`) walks them to check and convert inputs, and the protocol encoders
 * read the wire names (`locationName`, `flattened`, `resultWrapper`, `timestampFormat`) from
 * them. Keep every field optional that the model may leave out, so a new botocore release
 * that drops a trait still type-checks.
 */

/** Where a member of a REST input or output lives on the wire (absent = the body). */
export type MemberLocation = 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';

export type TimestampFormat = 'iso8601' | 'rfc822' | 'unixTimestamp';

/** A reference from a structure member, list member or map key/value to a named shape. */
export interface MemberRef {
  readonly shape: string;
  /** Wire name when it differs from the member name (rest: header/query/uri name; query: element name). */
  readonly locationName?: string;
  readonly location?: MemberLocation;
  readonly xmlName?: string;
  readonly xmlNamespace?: string;
  readonly xmlAttribute?: boolean;
  readonly queryName?: string;
  readonly flattened?: boolean;
  /** The string holds JSON (rest-json headers carry it base64-encoded). */
  readonly jsonvalue?: boolean;
  /** Clients fill it with a UUID when the caller leaves it out. */
  readonly idempotencyToken?: boolean;
  readonly hostLabel?: boolean;
  readonly eventpayload?: boolean;
  readonly timestampFormat?: TimestampFormat;
  readonly deprecated?: boolean;
}

/** The `error` trait of an exception shape (query protocols carry the wire code here). */
export interface ErrorTrait {
  readonly code?: string;
  readonly httpStatusCode?: number;
  readonly senderFault?: boolean;
}

interface ShapeBase {
  readonly sensitive?: boolean;
  readonly deprecated?: boolean;
}

export interface StructureShape extends ShapeBase {
  readonly type: 'structure';
  readonly members: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  /** rest-json: the member that is the whole HTTP body. */
  readonly payload?: string;
  readonly exception?: boolean;
  /** A server-side (5xx) exception. */
  readonly fault?: boolean;
  readonly error?: ErrorTrait;
  /** A free-form JSON document: any JSON value is accepted as is. */
  readonly document?: boolean;
  readonly union?: boolean;
  readonly event?: boolean;
  readonly eventstream?: boolean;
  readonly xmlNamespace?: string;
}

export interface ListShape extends ShapeBase {
  readonly type: 'list';
  readonly member: MemberRef;
  readonly min?: number;
  readonly max?: number;
  readonly flattened?: boolean;
  readonly locationName?: string;
}

export interface MapShape extends ShapeBase {
  readonly type: 'map';
  readonly key: MemberRef;
  readonly value: MemberRef;
  readonly min?: number;
  readonly max?: number;
  readonly flattened?: boolean;
  readonly locationName?: string;
}

export interface StringShape extends ShapeBase {
  readonly type: 'string';
  readonly min?: number;
  readonly max?: number;
  /** A Java regular expression, as written in the model (see `translateJavaPattern`). */
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

export interface NumberShape extends ShapeBase {
  readonly type: 'integer' | 'long' | 'float' | 'double';
  readonly min?: number;
  readonly max?: number;
}

export interface BooleanShape extends ShapeBase {
  readonly type: 'boolean';
}

export interface TimestampShape extends ShapeBase {
  readonly type: 'timestamp';
  readonly timestampFormat?: TimestampFormat;
}

export interface BlobShape extends ShapeBase {
  readonly type: 'blob';
  readonly min?: number;
  readonly max?: number;
  /** rest-json: the body is streamed, not buffered. */
  readonly streaming?: boolean;
  readonly requiresLength?: boolean;
}

export type Shape =
  | StructureShape
  | ListShape
  | MapShape
  | StringShape
  | NumberShape
  | BooleanShape
  | TimestampShape
  | BlobShape;

export type ShapeType = Shape['type'];

/** Every shape of one service, by shape name. */
export type ShapeTable = Readonly<Record<string, Shape>>;

export interface HttpBinding {
  readonly method: string;
  readonly requestUri: string;
  readonly responseCode?: number;
}

export interface OperationInfo {
  /** Input shape name; absent when the operation takes no input. */
  readonly input?: string;
  /** Output shape name; absent when the operation returns nothing. */
  readonly output?: string;
  /** query protocol: the `<XResult>` element the output is wrapped in. */
  readonly resultWrapper?: string;
  readonly http: HttpBinding;
  /** Exception shape names the operation declares. */
  readonly errors: readonly string[];
  /** `'none'`: the operation is not signed (STS AssumeRoleWithSAML / AssumeRoleWithWebIdentity). */
  readonly authtype?: string;
  readonly auth?: readonly string[];
  readonly idempotent?: boolean;
  readonly readonly?: boolean;
  readonly deprecated?: boolean;
}

export type Protocol = 'json' | 'query' | 'rest-json' | 'rest-xml' | 'ec2';

export interface ServiceMetadata {
  readonly protocol: Protocol;
  readonly protocols?: readonly string[];
  readonly apiVersion: string;
  readonly endpointPrefix: string;
  readonly serviceId: string;
  readonly serviceFullName?: string;
  readonly serviceAbbreviation?: string;
  readonly signatureVersion?: string;
  readonly signingName?: string;
  /** json protocol: the `X-Amz-Target` prefix (`AmazonEC2ContainerRegistry_V20150921`). */
  readonly targetPrefix?: string;
  /** json protocol: `application/x-amz-json-<jsonVersion>`. */
  readonly jsonVersion?: string;
  /** query protocol: the namespace of the XML responses. */
  readonly xmlNamespace?: string;
  readonly globalEndpoint?: string;
  readonly uid?: string;
  readonly auth?: readonly string[];
}

/** One service's model: what `src/model/<svc>/index.ts` exports. */
export interface ServiceModel {
  readonly metadata: ServiceMetadata;
  readonly operations: Readonly<Record<string, OperationInfo>>;
  readonly shapes: ShapeTable;
}
