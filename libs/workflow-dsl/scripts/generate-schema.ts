// Writes libs/workflow-dsl/schema/workflow.schema.json from the zod schemas.
// Run: npm run -w @baton/workflow-dsl gen:schema
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workflowJsonSchema } from '../src/workflow.schema';

const target = join(__dirname, '..', 'schema', 'workflow.schema.json');
writeFileSync(target, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
