import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../aws/errors.js';
import { ecrModel, ImageTagMutability, RepositoryNotFoundException } from './ecr/index.js';
import { ecsModel } from './ecs/index.js';
import { iamModel, NoSuchEntityException, errorsByCode as iamErrors } from './iam/index.js';
import { kmsModel } from './kms/index.js';
import { lambdaModel } from './lambda/index.js';
import { stsModel } from './sts/index.js';
import {
  decodeQueryInput,
  translateJavaPattern,
  validateInput,
  validateQueryInput,
  type ValidationStyle,
} from './validate.js';

/** AWS's own Coral wording, used to check messages independently of ECR's wrapper. */
const coral: ValidationStyle = { code: 'ValidationException', format: 'coral', renderValues: true };

const uploadId = '0f0e0d0c-0b0a-0908-0706-050403020100';

/** Runs `fn`, which must throw an AwsError, and returns it. */
function thrown(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function assertError(fn: () => unknown, code: string, message: string): void {
  const e = thrown(fn);
  assert.equal(e.code, code);
  assert.equal(e.message, message);
  assert.equal(e.status, 400);
  assert.equal(e.fault, 'client');
}

describe('validateInput — ECR (json 1.1)', () => {
  it('reports a missing required member', () => {
    // given an input without repositoryName
    // when / then
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', {}),
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'",
    );
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: null }, { style: coral }),
      'ValidationException',
      "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('reports a too-short repositoryName', () => {
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: 'a' }),
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
    );
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: 'a' }, { style: coral }),
      'ValidationException',
      "1 validation error detected: Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });

  it('reports a repositoryName outside the pattern, and every violation in the coral format', () => {
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: 'Bad_Name!' }),
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression " +
        "'(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
    );
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: 'A', imageTagMutability: 'FOO' }, { style: coral }),
      'ValidationException',
      "3 validation errors detected: Value 'A' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
        "Value 'A' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
        '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*; ' +
        "Value 'FOO' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: " +
        '[MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]',
    );
  });

  it('reports maxResults out of range (0 and 1001)', () => {
    assertError(
      () => validateInput(ecrModel, 'DescribeRepositories', { maxResults: 0 }),
      'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value greater than or equal to 1'",
    );
    assertError(
      () => validateInput(ecrModel, 'DescribeRepositories', { maxResults: 1001 }),
      'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
    );
    assertError(
      () => validateInput(ecrModel, 'DescribeRepositories', { maxResults: 1001 }, { style: coral }),
      'ValidationException',
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    assert.deepEqual(validateInput(ecrModel, 'DescribeRepositories', { maxResults: 1000 }), { maxResults: 1000 });
  });

  it('reports a bad enum value', () => {
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { repositoryName: 'abc', imageTagMutability: 'FOO' }),
      'InvalidParameterException',
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: " +
        "[MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'",
    );
  });

  it('names a nested list member with its 1-based index', () => {
    const input = { repositoryName: 'abc', imageIds: [{ imageTag: 'ok' }, { imageTag: '' }] };
    assertError(
      () => validateInput(ecrModel, 'BatchGetImage', input),
      'InvalidParameterException',
      "Invalid parameter at 'imageIds.2.member.imageTag' failed to satisfy constraint: 'Member must have length greater than or equal to 1'",
    );
    assertError(
      () => validateInput(ecrModel, 'BatchGetImage', input, { style: coral }),
      'ValidationException',
      "1 validation error detected: Value '' at 'imageIds.2.member.imageTag' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    assertError(
      () => validateInput(ecrModel, 'BatchGetImage', { repositoryName: 'abc', imageIds: [] }),
      'InvalidParameterException',
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length greater than or equal to 1'",
    );
  });

  it('reports the element constraints of a list of strings once, for the whole list', () => {
    const input = { repositoryName: 'abc', layerDigests: ['sha256:ab', 'x'.repeat(1001)] };
    assertError(
      () => validateInput(ecrModel, 'BatchCheckLayerAvailability', input, { style: coral }),
      'ValidationException',
      `1 validation error detected: Value '[sha256:ab, ${'x'.repeat(1001)}]' at 'layerDigests' failed to satisfy constraint: ` +
        'Member must satisfy constraint: [Member must have length less than or equal to 1000, ' +
        'Member must have length greater than or equal to 0, Member must not be null]',
    );
  });

  it('answers a value of the wrong JSON type with SerializationException', () => {
    const cases: [unknown, string][] = [
      [{ maxResults: '10' }, 'STRING_VALUE can not be converted to an Integer'],
      [{ maxResults: true }, 'TRUE_VALUE can not be converted to an Integer'],
      [{ registryId: 123456789012 }, 'NUMBER_VALUE can not be converted to a String'],
      [{ repositoryNames: 'abc' }, 'Expected list or null'],
      [{ repositoryNames: { a: 1 } }, 'Start of structure or map found where not expected.'],
      [{ maxResults: [1] }, 'Start of list found where not expected'],
      [[], 'Start of list found where not expected'],
      ['abc', 'Expected null'],
    ];
    for (const [input, message] of cases) {
      assertError(() => validateInput(ecrModel, 'DescribeRepositories', input), 'SerializationException', message);
    }
    // a type error wins over constraint violations, as AWS deserialises before it validates
    assertError(
      () => validateInput(ecrModel, 'CreateRepository', { imageTagMutability: 'FOO', encryptionConfiguration: 'x' }),
      'SerializationException',
      'Expected null',
    );
  });

  it('converts base64 blobs to bytes and rejects bad base64', () => {
    const input = { repositoryName: 'abc', uploadId, partFirstByte: 0, partLastByte: 2, layerPartBlob: 'AQID' };
    const out = validateInput(ecrModel, 'UploadLayerPart', input) as { layerPartBlob: Uint8Array };
    assert.ok(Buffer.isBuffer(out.layerPartBlob));
    assert.deepEqual([...out.layerPartBlob], [1, 2, 3]);
    assertError(
      () => validateInput(ecrModel, 'UploadLayerPart', { ...input, layerPartBlob: 'AQI' }),
      'SerializationException',
      "'AQI' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3",
    );
    assertError(
      () => validateInput(ecrModel, 'UploadLayerPart', { ...input, layerPartBlob: 'AQ!D' }),
      'SerializationException',
      "'AQ!D' can not be converted to a Blob: Invalid Base64 character: '!'",
    );
  });

  it('drops members the model does not know and leaves the input untouched', () => {
    const input = { repositoryName: 'abc', bogus: 1, imageIds: [{ imageTag: 'v1', extra: true }] };
    const out = validateInput(ecrModel, 'BatchGetImage', input);
    assert.deepEqual(out, { repositoryName: 'abc', imageIds: [{ imageTag: 'v1' }] });
    assert.deepEqual(input, { repositoryName: 'abc', bogus: 1, imageIds: [{ imageTag: 'v1', extra: true }] });
  });

  it('treats an empty body as an empty input', () => {
    assert.deepEqual(validateInput(ecrModel, 'DescribeRepositories', undefined), {});
    assert.deepEqual(validateInput(ecrModel, 'GetAuthorizationToken', null), {});
  });

  it('gives the same answer on repeated calls (plans are cached)', () => {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(validateInput(ecrModel, 'DescribeImages', { repositoryName: 'a/b', maxResults: 5 }), {
        repositoryName: 'a/b',
        maxResults: 5,
      });
    }
  });

  it('refuses an operation the model does not have', () => {
    assertError(() => validateInput(ecrModel, 'NoSuchOperation', {}), 'UnknownOperationException', '');
  });
});

describe('validateInput — KMS and Lambda', () => {
  it('converts epoch-second timestamps to Date', () => {
    const out = validateInput(kmsModel, 'ImportKeyMaterial', {
      KeyId: 'k',
      ImportToken: 'AQID',
      EncryptedKeyMaterial: 'BAUG',
      ValidTo: 1700000000.5,
    }) as { ValidTo: Date; ImportToken: Uint8Array };
    assert.ok(out.ValidTo instanceof Date);
    assert.equal(out.ValidTo.toISOString(), '2023-11-14T22:13:20.500Z');
    assertError(
      () => validateInput(kmsModel, 'ImportKeyMaterial', { KeyId: 'k', ImportToken: 'AQID', EncryptedKeyMaterial: 'BAUG', ValidTo: '2023' }),
      'SerializationException',
      'STRING_VALUE can not be converted to milliseconds since epoch',
    );
  });

  it('never echoes a sensitive value', () => {
    assertError(
      () => validateInput(kmsModel, 'Encrypt', { KeyId: 'k', Plaintext: '' }),
      'ValidationException',
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('checks map keys as one constraint of the map', () => {
    assertError(
      () => validateInput(lambdaModel, 'UpdateFunctionConfiguration', { FunctionName: 'f', Environment: { Variables: { '1bad': 'x' } } }),
      'ValidationException',
      "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: " +
        'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]',
    );
  });

  it('lists every element constraint of a list of enums', () => {
    const input = { FunctionName: 'f', Role: 'arn:aws:iam::123456789012:role/r', Code: {}, Architectures: ['foo'] };
    assertError(
      () => validateInput(lambdaModel, 'CreateFunction', input),
      'ValidationException',
      "1 validation error detected: Value '[foo]' at 'architectures' failed to satisfy constraint: " +
        'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]',
    );
  });

  it('reads strings bound to the query string as their member type (rest-json)', () => {
    assert.deepEqual(validateInput(lambdaModel, 'ListFunctions', { MaxItems: '5' }), { MaxItems: 5 });
  });
});

describe('validateQueryInput — IAM and STS (query protocol)', () => {
  it('decodes IAM CreateUser with Tags.member.N', () => {
    const params = new URLSearchParams(
      'Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fteam%2F' +
        '&Tags.member.1.Key=env&Tags.member.1.Value=prod&Tags.member.2.Key=team&Tags.member.2.Value=',
    );
    assert.deepEqual(decodeQueryInput(iamModel, 'CreateUser', params), {
      Path: '/team/',
      UserName: 'bob',
      Tags: [
        { Key: 'env', Value: 'prod' },
        { Key: 'team', Value: '' },
      ],
    });
    assert.deepEqual(validateQueryInput(iamModel, 'CreateUser', params), {
      Path: '/team/',
      UserName: 'bob',
      Tags: [
        { Key: 'env', Value: 'prod' },
        { Key: 'team', Value: '' },
      ],
    });
  });

  it('words IAM violations as IAM does (ValidationError, lowerCamel paths, no values)', () => {
    assertError(
      () => validateQueryInput(iamModel, 'CreateUser', { UserName: 'bob', 'Tags.member.1.Key': '', 'Tags.member.1.Value': 'v' }),
      'ValidationError',
      "2 validation errors detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
    );
    assertError(
      () => validateQueryInput(iamModel, 'CreateUser', { 'Tags.member.1.Key': 'novalue' }),
      'ValidationError',
      "2 validation errors detected: Value at 'userName' failed to satisfy constraint: Member must not be null; " +
        "Value at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
    );
    assertError(
      () => validateQueryInput(iamModel, 'UntagUser', { UserName: 'bob', 'TagKeys.member.1': 'bad#', 'TagKeys.member.2': 'ok' }),
      'ValidationError',
      "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: " +
        '[Member must have length less than or equal to 128, Member must have length greater than or equal to 1, ' +
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]',
    );
  });

  it('converts query strings to numbers and reports ranges and unreadable numbers', () => {
    assert.deepEqual(validateQueryInput(iamModel, 'ListUsers', { Action: 'ListUsers', MaxItems: '10' }), { MaxItems: 10 });
    assertError(
      () => validateQueryInput(iamModel, 'ListUsers', { MaxItems: '0' }),
      'ValidationError',
      "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assertError(
      () => validateQueryInput(iamModel, 'ListUsers', [['MaxItems', 'ten']]),
      'ValidationError',
      "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be an integer",
    );
  });

  it('reads an empty list parameter as an empty list', () => {
    assert.deepEqual(validateQueryInput(iamModel, 'UntagUser', { UserName: 'bob', TagKeys: '' }), { UserName: 'bob', TagKeys: [] });
  });

  it('words STS violations with their values', () => {
    const ok = validateQueryInput(stsModel, 'AssumeRole', {
      RoleArn: 'arn:aws:iam::000000000000:role/deploy',
      RoleSessionName: 'ci',
      DurationSeconds: '900',
    });
    assert.deepEqual(ok, { RoleArn: 'arn:aws:iam::000000000000:role/deploy', RoleSessionName: 'ci', DurationSeconds: 900 });
    assertError(
      () => validateQueryInput(stsModel, 'AssumeRole', { RoleArn: 'arn', RoleSessionName: 'a b', DurationSeconds: '899' }),
      'ValidationError',
      "3 validation errors detected: Value 'arn' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
        "Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; " +
        "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
  });
});

describe('translateJavaPattern', () => {
  const matches = (pattern: string, value: string): boolean | undefined => translateJavaPattern(pattern)?.test(value);

  it('anchors the pattern to the whole value', () => {
    assert.equal(matches('[0-9]{12}', '123456789012'), true);
    assert.equal(matches('[0-9]{12}', '1234567890123'), false);
    assert.equal(matches('[0-9]{12}', 'x123456789012'), false);
    assert.equal(matches('ALL|[a-z]{2}-[a-z]+-\\d{1}', 'ALLx'), false);
  });

  it('translates Java syntax the u flag rejects or reads differently', () => {
    assert.equal(matches('[\\w+=,.@\\:-]*', 'a:b-c'), true); // `\:` is not a valid escape with `u`
    assert.equal(matches('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', 'ключ é 1'), true);
    assert.equal(matches('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', 'bad#'), false);
    assert.equal(matches('[\\w-]+', 'a-b'), true);
    assert.equal(matches('\\p{Alpha}+', 'abc'), true);
    assert.equal(matches('\\Qa.b\\E', 'a.b'), true);
    assert.equal(matches('\\Qa.b\\E', 'axb'), false);
    assert.equal(matches('x\\z', 'x'), true);
    assert.equal(matches('a++b', 'aab'), true);
    assert.equal(matches('^\\S+$', 'a\u00a0b'), true); // Java's \s is ASCII whitespace only
    assert.equal(matches('[\\s\\S]*', 'a\u00a0\nb'), true);
    assert.equal(matches('(?i)abc', 'ABC'), true);
  });

  it('gives up on what JS cannot express', () => {
    assert.equal(translateJavaPattern('[a-z&&[^b]]'), undefined);
    assert.equal(translateJavaPattern('\\Gabc'), undefined);
    assert.equal(translateJavaPattern('a(?i)b'), undefined);
  });

  it('compiles every pattern of the generated models', () => {
    for (const model of [ecrModel, iamModel, stsModel, kmsModel, lambdaModel, ecsModel]) {
      for (const [name, shape] of Object.entries(model.shapes)) {
        if (shape.type === 'string' && shape.pattern !== undefined) {
          assert.ok(translateJavaPattern(shape.pattern), `${model.metadata.serviceId} ${name}: ${shape.pattern}`);
        }
      }
    }
  });
});

describe('generated model', () => {
  it('carries error codes, statuses and faults from the model', () => {
    const e = new NoSuchEntityException('The user with name bob cannot be found.');
    assert.equal(e.code, 'NoSuchEntity');
    assert.equal(e.status, 404);
    assert.equal(e.fault, 'client');
    assert.equal(iamErrors.NoSuchEntity, NoSuchEntityException);
    assert.equal(new iamErrors.ServiceFailure('x').fault, 'server');
    assert.equal(new iamErrors.ServiceFailure('x').status, 500);
    const r = new RepositoryNotFoundException('nope');
    assert.ok(r instanceof AwsError);
    assert.equal(r.code, 'RepositoryNotFoundException');
    assert.equal(r.status, 400);
  });

  it('exports enums as const objects and the protocol metadata', () => {
    assert.equal(ImageTagMutability.IMMUTABLE, 'IMMUTABLE');
    assert.equal(ecrModel.metadata.targetPrefix, 'AmazonEC2ContainerRegistry_V20150921');
    assert.equal(iamModel.metadata.protocol, 'query');
    assert.equal(stsModel.operations.AssumeRoleWithWebIdentity?.authtype, 'none');
    assert.equal(stsModel.operations.AssumeRole?.resultWrapper, 'AssumeRoleResult');
  });
});
