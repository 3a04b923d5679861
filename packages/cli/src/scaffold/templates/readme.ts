import type { BackendTemplateInput } from "./input.js";

/** `README.md`: how operators configure the backend, and how its author tests and publishes it. */
export function readme({ name, className, scheme }: BackendTemplateInput): string {
  const fence = "```";
  return `# ${name}

A flowstate worker state backend (Apache Airflow AIP-103): task and asset
state values go to this backend's storage, and the metadata store keeps only a reference
(\`${scheme}://…\`).

## Use it

Install it in the project that holds \`airflow.cfg\` (plugins resolve from the config file's folder):

${fence}sh
npm install ${name}
${fence}

and name it in \`airflow.cfg\`:

${fence}ini
[workers]
state_backend = ${name}.${className}
state_backend_kwargs = {"namespace": "prod"}
${fence}

(or \`AIRFLOW__WORKERS__STATE_BACKEND=${name}.${className}\`). Check that a worker can load it and
that its storage answers:

${fence}sh
npx flowstate backend check
${fence}

### Options

\`[workers] state_backend_kwargs\` is a JSON object:

| option      | default     | meaning                                                   |
| ----------- | ----------- | --------------------------------------------------------- |
| \`namespace\` | \`"default"\` | Backends with the same namespace share storage.           |

## Develop

As generated, \`src/index.ts\` keeps values in an in-process Map (\`InProcessStore\`), so it passes
the conformance suite before you change a line — but nothing survives the process. Replace
\`InProcessStore\` with your storage's client: every call to it is marked \`STORAGE\`. Keep the
rules the suite checks: a new version per write (never overwrite), every path from
\`versionedStatePath\`/\`scopePrefix\`, \`validateScope\` first in every method, foreign references
refused with \`assertOwnReference\`, exact deletes, and storage errors wrapped in
\`StateBackendError\` with \`sanitizedCause\` (never credentials).

${fence}sh
npm install
npm test          # the conformance suite: @flowstate/backend-test-suite
npm run build     # src → dist, with type declarations
${fence}

## Publish

${fence}sh
npm publish       # builds and tests first (prepublishOnly)
${fence}

The package exports \`${className}\` from \`dist/index.js\`; \`@flowstate/shared-state\` is a peer
dependency, so the backend shares the operator's copy. Document your options here, and the
class path \`${name}.${className}\`.
`;
}
