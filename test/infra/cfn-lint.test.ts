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

/** cfn-lint's error (E…) and warning (W…) lines per template file, in one run (its start-up is most of its time). */
async function lintFindings(files: string[]): Promise<string[]> {
  let out: string;
  try {
    out = (await run('cfn-lint', ['--format', 'parseable', '--non-zero-exit-code', 'none', '--', ...files])).stdout;
  } catch (error) {
    out = (error as { stdout?: string }).stdout ?? '';
  }
  return out.split('\n').filter((l) => /:[EW]\d{4}:/u.test(l));
}

const lintErrors = async (files: string[]) => (await lintFindings(files)).filter((l) => /:E\d{4}:/u.test(l));

let workDir: string;
let errors: string[] = [];
let warnings: string[] = [];
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
  const findings = await lintFindings([file('default'), file('full')]);
  errors = findings.filter((l) => /:E\d{4}:/u.test(l));
  warnings = findings.filter((l) => /:W\d{4}:/u.test(l));
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

  it('finds no condition whose value packaging already knows (W8003) in either template', () => {
    // Assess: every deploy-param choice is decided at packaging time (infra/*.cjs), not by a condition.
    expect(warnings.filter((w) => /:W8003:/u.test(w))).toEqual([]);
  });

  it('reads cfn-lint warnings as warnings (a condition that always answers the same)', async () => {
    // Prepare
    const fixed = join(workDir, 'fixed-condition.json');
    writeFileSync(
      fixed,
      JSON.stringify({
        AWSTemplateFormatVersion: '2010-09-09',
        Conditions: { Always: { 'Fn::Equals': ['true', 'true'] } },
        Resources: { T: { Type: 'AWS::SNS::Topic', Condition: 'Always' } },
      }),
    );

    // Act
    const found = await lintFindings([fixed]);

    // Assess
    expect(found.join('\n')).toMatch(/W8003/u);
  }, 60_000);

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
