/** A secret found in a text. Only the masked form is ever shown. */
export interface SecretHit {
  readonly line: number;
  /** What kind of secret it looks like (`AWS access key id`). */
  readonly kind: string;
  /** The first 4 characters, the rest masked: `AKIA****************`. */
  readonly masked: string;
}

interface SecretPattern {
  readonly kind: string;
  readonly re: RegExp;
  /** Capture group holding the secret itself (0: the whole match). */
  readonly group: number;
}

const PLACEHOLDER_VALUE = /^(?:\$\{.*\}|\$\(.*\)|<.*>|\{\{.*\}\}|\*+|x+|\.+|(?:.*(?:example|changeme|change_me|placeholder|redacted|dummy|your[_-]).*))$/i;

const PATTERNS: readonly SecretPattern[] = [
  { kind: 'PEM private key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g, group: 0 },
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, group: 0 },
  { kind: 'AWS secret access key', re: /aws_secret_access_key\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi, group: 1 },
  { kind: 'GitHub token', re: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b/g, group: 0 },
  { kind: 'GitHub fine-grained token', re: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g, group: 0 },
  { kind: 'Slack token', re: /\bxox[abpr]-[A-Za-z0-9-]{10,}\b/g, group: 0 },
  { kind: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, group: 0 },
  { kind: 'Stripe live secret key', re: /\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b/g, group: 0 },
  { kind: 'JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, group: 0 },
  {
    kind: 'hard-coded credential',
    re: /\b(?:password|passwd|pwd|secret|client[_-]?secret|token|access[_-]?token|auth[_-]?token|api[_-]?key|private[_-]?key)["']?\s*[:=]\s*["'`]([^"'`\s]{8,})["'`]/gi,
    group: 1,
  },
];

/** `AKIA` followed by one `*` per remaining character (at most 16). */
export function maskSecret(secret: string): string {
  return `${secret.slice(0, 4)}${'*'.repeat(Math.min(16, Math.max(4, secret.length - 4)))}`;
}

/**
 * Secrets in `text`: private keys, cloud and SaaS tokens, JWTs and hard-coded credentials
 * (`password = "…"` with a value of 8+ characters that is not a placeholder such as `${DB_PASSWORD}`).
 */
export function findSecrets(text: string): SecretHit[] {
  const hits: SecretHit[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const taken: [number, number][] = [];
    for (const p of PATTERNS) {
      for (const m of line.matchAll(p.re)) {
        const secret = m[p.group] ?? m[0];
        const start = m.index + (p.group === 0 ? 0 : m[0].indexOf(secret));
        const end = start + secret.length;
        if (taken.some(([s, e]) => start < e && end > s)) continue;
        if (p.group !== 0 && PLACEHOLDER_VALUE.test(secret)) continue;
        taken.push([start, end]);
        hits.push({ line: i + 1, kind: p.kind, masked: maskSecret(secret) });
      }
    }
  });
  return hits;
}
