import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The architecture as a lint rule: a service never imports another service, libs never import
// services, and shared libs depend only on shared libs.
export default [
  { ignores: ['**/node_modules/**', '**/dist/**', 'infra/.cache/**', '**/*.js', '**/*.mjs', 'libs/avro/src/generated/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            // Layers: domain libs (codes, regions, schemas, masking) know no infrastructure; infrastructure libs
            // build on them; services, tools and tests sit on top.
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:domain'],
              bannedExternalImports: ['kafkajs', 'mysql2', 'mysql2/*', 'typeorm', 'ioredis', 'bullmq', '@nestjs/*', 'express', 'prom-client'],
            },
            { sourceTag: 'layer:infrastructure', onlyDependOnLibsWithTags: ['layer:domain', 'layer:infrastructure'] },
            { sourceTag: 'layer:service', onlyDependOnLibsWithTags: ['layer:domain', 'layer:infrastructure'] },
            { sourceTag: 'layer:tool', onlyDependOnLibsWithTags: ['layer:domain', 'layer:infrastructure'] },
            { sourceTag: 'layer:test', onlyDependOnLibsWithTags: ['layer:domain', 'layer:infrastructure', 'layer:service', 'layer:tool'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:app', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Casework knows workflows only through the registry it is handed (WorkflowDefinition, WorkflowRegistry): it
    // never imports a workflow folder nor the node's composition (services/region-node/src/workflows.ts), so a new
    // workflow touches its own folder and one line there. Specs and the spec harness wire the node's workflows in.
    files: ['services/region-node/src/casework/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.testing.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*', '../../**', '!../../casework', '!../../casework/**', '!../../internal', '!../../internal/**'],
              message: 'casework must not import a workflow folder or the composition: take the WorkflowRegistry it is handed',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests across services start the real apps in-process, so they import the services' app factories.
    files: ['test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
