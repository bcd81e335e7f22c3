import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBundles, oslsPackage, ROOT } from './osls.js';

// cfn-lint (on this machine image; skipped where it is not installed, as .ci/run skips it) finds no error in the
// packaged template of the default stage nor of a fully configured one (infra/full-stack.params).

const run = promisify(execFile);
const hasCfnLint = (() => {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The `--param` values of a fully configured stack, shared with scripts/lint-template.sh. */
function fullStackParams(): string[] {
  return readFileSync(join(ROOT, 'infra', 'full-stack.params'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** cfn-lint's error lines (E…) per template file, in one run (its start-up is most of its time). */
async function lintErrors(files: string[]): Promise<string[]> {
  try {
    await run('cfn-lint', ['--format', 'parseable', '--non-zero-exit-code', 'error', '--', ...files]);
    return [];
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? '';
    return out.split('\n').filter((l) => /:E\d{4}:/u.test(l));
  }
}

let workDir: string;
let errors: string[] = [];
const file = (name: string) => join(workDir, `${name}.json`);

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'hood-blocker-cfn-lint-'));
  if (!hasCfnLint) return;
  await ensureBundles();
  const [byDefault, full] = await Promise.all([
    oslsPackage(workDir, 'default'),
    oslsPackage(workDir, 'full', fullStackParams(), 'prod'),
  ]);
  writeFileSync(file('default'), JSON.stringify(byDefault));
  writeFileSync(file('full'), JSON.stringify(full));
  errors = await lintErrors([file('default'), file('full')]);
}, 180_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe.skipIf(!hasCfnLint)('cfn-lint on the packaged template', () => {
  it('finds no error in the default stage', () => {
    // Assess (packaged and linted in beforeAll)
    expect(errors.filter((e) => e.startsWith(file('default')))).toEqual([]);
  });

  it('finds no error in a stage with every optional param set', () => {
    // Assess
    expect(errors.filter((e) => e.startsWith(file('full')))).toEqual([]);
  });

  it('reads cfn-lint errors as errors (a template with an empty Fn::If branch)', async () => {
    // Prepare
    const bad = join(workDir, 'bad.json');
    const alarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'X',
        MetricName: 'm',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ 'Fn::If': ['C', '', { Ref: 'AWS::NoValue' }] }],
      },
    };
    const cond = { C: { 'Fn::Equals': ['a', 'b'] } };
    writeFileSync(
      bad,
      JSON.stringify({
        AWSTemplateFormatVersion: '2010-09-09',
        Conditions: cond,
        Resources: { A: alarm },
      }),
    );

    // Act
    const found = await lintErrors([bad]);

    // Assess
    expect(found.join('\n')).toMatch(/E3033/u);
  }, 60_000);
});
