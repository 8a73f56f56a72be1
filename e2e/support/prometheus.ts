import path from 'node:path';
import { parse } from 'yaml';

/**
 * The directory of file_sd target files the running Prometheus reads, asked of Prometheus itself
 * (`/api/v1/status/config`): the server `scripts/infra.sh up` started may belong to another
 * checkout than this one (it is reused when it already answers), so the repository's own
 * `.baton/prometheus/targets` is only right by chance.
 */
export async function prometheusTargetsDir(prometheusUrl: string): Promise<string> {
  const res = await fetch(`${prometheusUrl}/api/v1/status/config`);
  if (!res.ok) throw new Error(`Prometheus at ${prometheusUrl} answered ${res.status} for its configuration; start it with: bash scripts/infra.sh up`);
  const config = parse(((await res.json()) as { data: { yaml: string } }).data.yaml) as {
    scrape_configs?: { file_sd_configs?: { files?: string[] }[] }[];
  };
  for (const job of config.scrape_configs ?? []) {
    for (const sd of job.file_sd_configs ?? []) {
      const file = sd.files?.[0];
      if (file !== undefined) return path.dirname(file);
    }
  }
  throw new Error(`Prometheus at ${prometheusUrl} reads no file_sd targets; scripts/infra.sh configures one (…/prometheus/targets/*.json)`);
}
