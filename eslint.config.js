// Lint rules that keep the architecture honest: no `any`, no ts-ignore, and imports that only
// point inward (gateway → aws | registry → services → images → store | oci).
import tseslint from 'typescript-eslint';

const restrict = (target, from, message) => ({ target, from, message });
const inward = [
  restrict('src/store', ['src/aws', 'src/registry', 'src/services', 'src/gateway', 'src/images'], 'store/ knows nothing above it'),
  restrict('src/oci', ['src/aws', 'src/registry', 'src/services', 'src/gateway', 'src/images', 'src/store'], 'oci/ is pure'),
  restrict('src/images', ['src/aws', 'src/registry', 'src/services', 'src/gateway'], 'images/ never sees HTTP or a wire format'),
  restrict('src/iam', ['src/registry', 'src/services', 'src/gateway', 'src/aws'], 'iam/ is below the fronts'),
  restrict('src/services', ['src/registry', 'src/gateway'], 'services/ are below the fronts'),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'src/model/*/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...inward.map(({ target, from, message }) => ({
    files: [`${target}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['src/store', 'src/images', 'src/oci'].includes(target)
            ? [{ name: 'node:http', message: 'no HTTP below the fronts' }]
            : [],
          patterns: from.map((dir) => ({
            group: [`**/${dir.replace('src/', '')}/*`, `**/${dir.replace('src/', '')}/**`],
            message,
          })),
        },
      ],
    },
  })),
);
