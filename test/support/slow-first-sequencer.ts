import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Suites that start processes, browsers or servers and take many seconds:
// started first, they run beside the many short suites instead of after them.
const SLOW_SUITES = [
  '/test/http/hostile.test.ts',
  '/test/browser/',
  '.browser.test.ts',
  '/test/incidents/campaign-kill.test.ts',
  '/test/jobs/two-workers.test.ts',
  '/test/cluster/',
  '/test/courier/',
  '/src/modules/population/demo.test.ts',
];

const isSlow = (spec: TestSpecification): boolean => SLOW_SUITES.some((part) => spec.moduleId.includes(part));

/** Vitest's order (slowest known first when it has timings), with the known slow suites ahead on a fresh clone. */
export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter(isSlow), ...sorted.filter((spec) => !isSlow(spec))];
  }
}
