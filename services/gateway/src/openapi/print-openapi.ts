// Writes the OpenAPI document to stdout, for the CI lint (`npm run openapi:lint -w @baton/gateway`)
// and for anyone who wants the file without starting the gateway.
import packageJson from '../../package.json';
import { openApiDocument } from './openapi.document';

process.stdout.write(`${JSON.stringify(openApiDocument(packageJson.version), null, 2)}\n`);
