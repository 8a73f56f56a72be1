// Lint rules, including the architecture as rules:
// - libs never import services; services never import each other (Nx module boundaries);
// - nothing under a service's src/domain imports NestJS, NATS, Kysely, pg or a store client;
// - nothing under a service's src/app imports its src/adapters.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const STORE_AND_IO = ['@nestjs/*', '@nats-io/*', 'nats', 'kysely', 'kysely/*', 'pg', 'pg-*', '@kurrent/*', '@eventstore/*'];
const BATON_IO_LIBS = ['@baton/event-store', '@baton/messaging', '@baton/read-models', '@baton/testing', '@baton/telemetry'];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.baton/**', 'coverage/**', '**/fixtures/lint/**', 'sdk/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util'] },
            ...['scheduler', 'agent-registry', 'handoff-validator', 'escalation', 'metrics', 'notifier', 'gateway', 'cli', 'mcp', 'sim-agents'].map(
              (s) => ({ sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'] }),
            ),
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-console': 'off',
    },
  },
  {
    // Nest resolves constructor parameters from emitted type metadata: a type-only import
    // would erase the class and break injection, so Nest-facing code may import classes as values.
    files: ['services/**/src/adapters/**/*.ts', 'services/**/src/app/**/*.ts', 'services/**/src/*.ts', 'libs/messaging/**/*.ts', 'libs/telemetry/**/*.ts', 'libs/read-models/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: STORE_AND_IO, message: 'src/domain is pure: no NestJS, NATS, Kysely, pg or store clients (STYLE.md §1). Move I/O to src/adapters.' },
            { group: BATON_IO_LIBS, message: 'src/domain may import only @baton/contracts (STYLE.md §1).' },
          ],
        },
      ],
    },
  },
  {
    // app/ is the use cases; adapters/ plug them into NATS, Postgres and Nest. Tables and queries
    // both need live in src/read-model; anything else comes in through a port.
    files: ['services/*/src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../adapters', '../adapters/*', '../../adapters', '../../adapters/*', '**/adapters', '**/adapters/**'],
              message: 'src/app must not import src/adapters: put shared tables/queries in src/read-model and pass adapters in through ports',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
