// Loaded by the int and e2e Jest projects (setupFilesAfterEnv): real servers need more than
// Jest's 5 s default; project-level `testTimeout` is not read by Jest 30.
jest.setTimeout(process.env.JEST_E2E === '1' ? 180_000 : 60_000);
