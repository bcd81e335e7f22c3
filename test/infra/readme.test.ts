import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, doc, documents, tableAfter } from '../helpers/readme.js';
import { ensureBundles, oslsPackage, ROOT } from './osls.js';

// Walks the deploy and operate guides (docs/deploy.md, docs/operate.md) and the README against the packaged
// template: every parameter, SSM parameter, alarm and output they name must exist, and the other way round, so
// the guides cannot drift from serverless.yml.

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  Outputs: Record<string, unknown>;
}

const STAGE = 'ci';
const require = createRequire(import.meta.url);
const parseYml = require('osls/lib/utils/fs/parse.js') as (file: string, contents: Buffer) => any;
const yml = () =>
  parseYml('serverless.yml', readFileSync(join(ROOT, 'serverless.yml'))) as {
    service: string;
    params: { default: Record<string, unknown> };
  };

let workDir: string;
let template: Template;

beforeAll(async () => {
  await ensureBundles();
  workDir = mkdtempSync(join(tmpdir(), 'hood-blocker-readme-'));
  template = await oslsPackage<Template>(workDir, 'readme', [], STAGE);
}, 180_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('docs/deploy.md: deploy parameters', () => {
  it('lists exactly the params of serverless.yml', () => {
    // Prepare
    const params = Object.keys(yml().params.default).sort();

    // Act
    const listed = tableAfter('## Deploy parameters', doc('deploy.md'))
      .map((row) => codes(row[0]!)[0])
      .sort();

    // Assess
    expect(listed).toEqual(params);
  });

  it('gives each param the default serverless.yml gives it', () => {
    // Prepare
    const { service, params } = yml();
    const expected = Object.fromEntries(
      Object.entries(params.default).map(([k, v]) => [
        k,
        String(v).replace('${self:service}', service).replace('${sls:stage}', '<stage>'),
      ]),
    );

    // Act
    const documented = Object.fromEntries(
      tableAfter('## Deploy parameters', doc('deploy.md')).map((row) => [
        codes(row[0]!)[0],
        row[2]!.startsWith('empty') ? '' : codes(row[2]!)[0],
      ]),
    );

    // Assess
    expect(documented).toEqual(expected);
  });

  it('README and docs pass only known params in their examples', () => {
    // Prepare
    const params = Object.keys(yml().params.default);

    // Act
    const used = Object.values(documents()).flatMap((text) =>
      [...text.matchAll(/--param="([A-Za-z]+)=/gu)].map((m) => m[1]!),
    );

    // Assess
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((p) => !params.includes(p))).toEqual([]);
  });
});

describe('docs/deploy.md: SSM parameters', () => {
  it('lists exactly the SSM parameters the functions read, with their variables', () => {
    // Prepare
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const env = functions.flatMap((f) => Object.entries(f.Properties.Environment.Variables as Record<string, unknown>));
    const expected = env
      .filter(([k]) => k.endsWith('_PARAMETER'))
      .map(([k, v]) => [String(v).replace(`/${STAGE}/`, '/<stage>/'), k.slice(0, -'_PARAMETER'.length)])
      .sort();

    // Act
    const listed = tableAfter('## SSM parameters (secrets)', doc('deploy.md'))
      .map((row) => [codes(row[0]!)[0], codes(row[1]!)[0]])
      .sort();

    // Assess
    expect(expected.length).toBeGreaterThanOrEqual(12);
    expect(listed).toEqual(expected);
  });
});

describe('docs: alarms and outputs', () => {
  it('explains exactly the alarms of the stack', () => {
    // Prepare
    // Alarms generated per provider (infra/source-alarms.cjs) are one row `<kind>-<provider>`; quiet-source ones
    // exist only with expectedSources, which the default stage does not set.
    const perProvider = /^(signature-failures|no-retry-5xx|quiet-source)-.+$/u;
    const named = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) =>
        String(r.Properties.AlarmName).replace(`hood-blocker-${STAGE}-`, '').replace(perProvider, '$1-<provider>'),
      );
    const alarms = [...new Set([...named, 'quiet-source-<provider>'])].sort();

    // Act
    const listed = tableAfter('## Alarms: what to do when one fires', doc('operate.md'))
      .map((row) => codes(row[0]!)[0])
      .sort();

    // Assess
    expect(listed).toEqual(alarms);
  });

  it('lists exactly the outputs of the stack', () => {
    // Prepare
    const outputs = Object.keys(template.Outputs).sort();

    // Act
    const listed = tableAfter(
      '**Outputs** (`hood-blocker check`/`dlq` read them with `--stack hood-blocker-<stage>`):',
      doc('deploy.md'),
    )
      .flatMap((row) => codes(row[0]!))
      .sort();

    // Assess
    expect(listed).toEqual(outputs);
  });

  it('names only outputs that exist wherever it mentions one', () => {
    // Prepare
    const outputs = Object.keys(template.Outputs);

    // Act
    const mentioned = Object.values(documents()).flatMap((text) =>
      [...text.matchAll(/OutputKey=='([A-Za-z]+)'|output `([A-Za-z]+)`/gu)].map((m) => m[1] ?? m[2]!),
    );

    // Assess
    expect(mentioned.length).toBeGreaterThan(0);
    expect(mentioned.filter((o) => !outputs.includes(o))).toEqual([]);
  });
});

describe('README and docs: resource names', () => {
  it('names only functions, log groups, queues, tables, topics and dashboards the stack creates', () => {
    // Prepare
    const names = new Set(
      Object.values(template.Resources).flatMap((r) => {
        const p = r.Properties ?? {};
        return [p.FunctionName, p.TableName, p.QueueName, p.TopicName, p.DashboardName, p.LogGroupName].filter(
          (n): n is string => typeof n === 'string',
        );
      }),
    );

    // Act
    const mentioned = Object.values(documents()).flatMap((text) =>
      [...text.matchAll(/`(\/aws\/lambda\/)?hood-blocker-<stage>(-[a-z-]+)?`/gu)].map((m) =>
        m[0].slice(1, -1).replace('<stage>', STAGE),
      ),
    );

    // Assess
    expect(mentioned.length).toBeGreaterThanOrEqual(6);
    expect(mentioned.filter((n) => !names.has(n))).toEqual([]);
  });
});

describe('README and docs: repository hygiene', () => {
  it('cites no file outside the repository', () => {
    // Prepare
    const texts = {
      ...documents(),
      'CHANGELOG.md': readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'),
      'serverless.yml': readFileSync(join(ROOT, 'serverless.yml'), 'utf8'),
    };

    // Act
    const offenders = Object.entries(texts).flatMap(([file, text]) =>
      [
        ...text.matchAll(
          /(?:research\/|DESIGN\.md|\/work\/|\.\.\/shared\/(?:fixtures|DESIGN|research)|shared\/fixtures)/gu,
        ),
      ].map((m) => `${file}: ${m[0]}`),
    );

    // Assess
    expect(offenders).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    // Prepare
    const pathRe = /`((?:lib|cli|handlers|infra|test|scripts|bench|dev|docs|examples|bin)\/[^`\s]*)`/gu;
    const paths = Object.entries(documents()).flatMap(([file, text]) =>
      [...text.matchAll(pathRe)].map((m) => ({ file, path: m[1]! })).filter(({ path }) => !path.includes('<')),
    );

    // Act
    const missing = paths
      .filter(({ path }) => !existsSync(join(ROOT, path)))
      .map(({ file, path }) => `${file}: ${path}`);

    // Assess
    expect(paths.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    // Prepare: GitHub's anchors, as its Markdown renderer makes them from headings.
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .trim()
        .replace(/ /gu, '-');
    const texts = documents();
    const anchors = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gmu)].map((m) => slug(m[1]!)));
    const resolve = (from: string, target: string) =>
      from === 'README.md' ? target : target.startsWith('../') ? target.slice(3) : `docs/${target}`;

    // Act
    const links = Object.entries(texts).flatMap(([file, text]) =>
      [...text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]+))?\)/gu)]
        .filter((m) => !/^[a-z]+:/u.test(m[1]!))
        .map((m) => ({ file, target: m[1] === '' ? file : resolve(file, m[1]!), anchor: m[2] })),
    );
    const broken = links.filter(({ target, anchor }) => {
      if (!existsSync(join(ROOT, target))) return true;
      if (anchor === undefined) return false;
      const text = texts[target] ?? readFileSync(join(ROOT, target), 'utf8');
      return !anchors(text).has(anchor);
    });

    // Assess
    expect(links.length).toBeGreaterThan(20);
    expect(broken.map(({ file, target, anchor }) => `${file} → ${target}#${anchor ?? ''}`)).toEqual([]);
  });

  it('ships the MIT LICENSE package.json announces, an .nvmrc naming the Node it runs on, and engines the bin accepts', () => {
    // Prepare
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      license: string;
      engines: { node: string };
    };

    // Act
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();

    // Assess
    expect(license.startsWith(`${pkg.license} License`)).toBe(true);
    // The bin re-runs the CLI on the Node.js 22 `npm ci` installs (.nvmrc); engines names the oldest Node that
    // may start it, so that `npx hood-blocker` on Node 20 prints no EBADENGINE warning.
    expect(Number(nvmrc)).toBeGreaterThanOrEqual(22);
    expect(pkg.engines.node).toBe('>=20');
  });
});
