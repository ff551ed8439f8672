import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sdksLoaded } from '../../bench/cold-start.js';

const root = '/srv/app';
const dependencies = [
  '@google-cloud/firestore',
  '@google-cloud/functions-framework',
  '@google-cloud/storage',
  'jsforce',
  'zod',
];
const file = (path: string) => `${root}/node_modules/${path}`;

describe('the cold-start floor of a function', () => {
  it('imports the SDKs whose modules were loaded by the first answer, and no others', () => {
    const recorded = [
      pathToFileURL(file('@google-cloud/firestore/build/src/index.js')).href,
      file('@google-cloud/functions-framework/build/src/main.js'),
      file('google-gax/node_modules/jsforce/index.js'),
      `${root}/functions/lib/index.js`,
      'answered',
      file('@google-cloud/storage/build/cjs/src/index.js'),
      '',
    ].join('\n');
    expect(sdksLoaded(recorded, `${root}/node_modules`, dependencies)).toEqual(['@google-cloud/firestore']);
  });

  it('tells a package from another whose name it begins', () => {
    const recorded = [file('jsforce-extra/index.js'), file('@google-cloud/storage/a.js'), 'answered'].join(
      '\n',
    );
    expect(sdksLoaded(recorded, `${root}/node_modules`, dependencies)).toEqual(['@google-cloud/storage']);
  });
});
