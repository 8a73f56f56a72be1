// The gateway as a process for e2e tests: compiled, started the way `npm start` starts it, ready
// when /healthz answers 200.
import { spawn } from 'node:child_process';
import { freePort, waitFor } from '@baton/testing';
import { compiledMain, repoRoot, RunningProcess } from './stack';

/** A running gateway replica. */
export interface GatewayProcess {
  readonly url: string;
  readonly proc: RunningProcess;
}

/**
 * A one-stage workflow for the gateway's tests: `approvers` may start it, and its stage (agent
 * `deployer` doing `action`) waits for their approval.
 */
export function approvalWorkflow(w: { readonly name: string; readonly id: string; readonly stage: string; readonly action: string; readonly approvers: string }): string {
  return `workflow:
  name: "${w.name}"
  id: "${w.id}"
  version: "1.0.0"
  trigger: { type: manual, authorized: ["${w.approvers}"] }
  stages:
    - stage: ${w.stage}
      agent: deployer
      action: ${w.action}
      requires_approval: ["${w.approvers}"]
`;
}

/** Starts a gateway on a free port with `env` (NATS_URL, the issuer, keys…) and waits for /healthz. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const proc = new RunningProcess(
    `gateway:${port}`,
    spawn(process.execPath, ['--enable-source-maps', compiledMain('services/gateway')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', HTTP_PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        proc.assertRunning();
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `gateway on ${port}` },
    );
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return { url, proc };
}
