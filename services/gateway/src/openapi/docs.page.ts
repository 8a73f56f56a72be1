const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly requestBody?: { content: Record<string, { schema: unknown }> };
  readonly responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  readonly parameters?: readonly { name: string; in: string; required: boolean }[];
}

/**
 * The API's docs page: the OpenAPI document rendered once as plain HTML (no script, no CDN), one
 * section per tag, each operation with its parameters and its body and response schemas.
 */
export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc['paths'] as Record<string, Record<string, Operation>>;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []).map((p) => `<code>${escape(p.name)}</code> (${p.in}${p.required ? ', required' : ''})`).join(', ');
      const body = op.requestBody?.content['application/json']?.schema;
      const ok = op.responses['200']?.content?.['application/json']?.schema;
      const html = `<section id="${escape(op.operationId)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary)}. ${escape(op.description ?? '')}</p>${params ? `<p>Parameters: ${params}</p>` : ''}
${body ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>` : ''}
${ok ? `<details><summary>Response 200</summary><pre>${escape(JSON.stringify(ok, null, 2))}</pre></details>` : ''}
<p class="codes">Other responses: ${Object.keys(op.responses).filter((c) => c !== '200').join(', ')} (application/problem+json)</p></section>`;
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const info = doc['info'] as { title: string; version: string; description: string };
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${escape(t)}">${escape(t)}</a>`).join(' · ');
  const sections = [...byTag.entries()].map(([t, ops]) => `<h2 id="tag-${escape(t)}">${escape(t)}</h2>${ops.join('\n')}`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title)} ${escape(info.version)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b}code,pre{font:13px ui-monospace,monospace}pre{background:#f4f4f4;padding:.5rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.25rem 0}.m{display:inline-block;min-width:3.5rem;color:#fff;border-radius:3px;padding:0 .3rem;text-align:center}.get{background:#0b6e4f}.post{background:#174a8b}.codes{color:#555}</style></head>
<body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1><p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> or <code>X-API-Key</code>.</p>
<nav>${nav}</nav>${sections}</body></html>`;
}
