/** The app's pure logic, in node: job form checks, job lines, uploads, letter looks, shortcuts, source units, window dragging. */
import { describe, expect, it } from 'vitest';
import { JOB_SPECS } from '../../src/api/index.js';
import { ingestInputs, uploadLine } from '../../src/viewer/add-data.js';
import { formatRate, jobTitle } from '../../src/viewer/dashboard.js';
import { shortcutFor } from '../../src/viewer/help.js';
import { dragWindow, grabAt, histogram256, presetWindow } from '../../src/viewer/histogram.js';
import { checkField } from '../../src/viewer/job-form.js';
import { formatValue, sourceValue } from '../../src/viewer/layers.js';
import { confidenceColour, letterLook } from '../../src/viewer/reading-panel.js';
import { readingsMatch } from '../../src/viewer/readings.js';
import type { RecordInfo } from '../../src/viewer/api.js';

describe('job form fields', () => {
  const steps = JOB_SPECS.train.options.steps!;
  it('checks numbers against their range and unit, and names the field', () => {
    expect(checkField('steps', steps, '200')).toEqual({ value: 200 });
    expect(checkField('steps', steps, '0').error).toBe('steps: at least 1 steps');
    expect(checkField('steps', steps, '2.5').error).toMatch(/not a whole number/);
    expect(checkField('steps', steps, 'many').error).toMatch(/not a number/);
    expect(checkField('steps', steps, '')).toEqual({});
    expect(checkField('model', JOB_SPECS.train.options.model!, '').error).toMatch(/model is needed/);
    expect(checkField('model', JOB_SPECS.train.options.model!, '../x').error).toMatch(/not a path/);
    expect(checkField('format', JOB_SPECS.export.options.format!, 'txt,pdf').error).toMatch(/pdf not one of/);
    expect(checkField('region', JOB_SPECS.predict.options.region!, '0:4,0:8,0:8')).toEqual({ value: '0:4,0:8,0:8' });
    expect(checkField('retrain', JOB_SPECS.ink.options.retrain!, true)).toEqual({ value: true });
  });

  it('shows each job with its unit and what it works on', () => {
    expect(formatRate(1234.5, 'samples')).toBe('1235 samples/s');
    expect(formatRate(3.21, 'MB')).toBe('3.21 MB/s');
    expect(formatRate(2, undefined)).toBe('2.00/s');
    expect(
      jobTitle({
        command: 'train',
        request: { command: 'train', options: { model: 'main', steps: 20 } },
        state: 'done',
      }),
    ).toBe('Train the AUNN — main · 20 steps · done');
    expect(
      jobTitle({ command: 'ingest', request: { command: 'ingest', input: 'incoming/u1/s.volpkg' }, state: 'failed' }),
    ).toBe('Add data — s.volpkg · failed');
  });
});

describe('Add data', () => {
  it('ingests each uploaded folder once and each loose file on its own', () => {
    const f = (relPath: string) => ({ relPath, file: new Blob(['x']) });
    expect(ingestInputs('u1', [f('s.volpkg/config.json'), f('s.volpkg/volumes/a.tif'), f('labels.png')])).toEqual([
      'incoming/u1/labels.png',
      'incoming/u1/s.volpkg',
    ]);
    expect(uploadLine(12e6, 40e6, 2)).toBe('12.0 MB of 40.0 MB · 6.0 MB/s · ETA 5 s');
  });
});

describe('reading', () => {
  it('prints letters as the Leiden convention does and colours them by probability', () => {
    expect(letterLook({ char: 'Α', confidence: 0.95, source: 'ink' }, 0.8)).toEqual({ cls: 'sure', text: 'Α' });
    expect(letterLook({ char: 'Α', confidence: 0.6, source: 'ink' }, 0.8)).toEqual({
      cls: 'uncertain mid',
      text: 'Α\u0323',
    });
    expect(letterLook({ char: 'Α', confidence: 0.3, source: 'ink' }, 0.8).cls).toBe('uncertain low');
    expect(letterLook({ char: 'Η', confidence: 0.6, source: 'lm' }, 0.8)).toEqual({ cls: 'lm', text: '[Η]' });
    expect(letterLook({ char: '', confidence: 0, source: 'lost' }, 0.8)).toEqual({ cls: 'lost', text: '[.]' });
    expect(confidenceColour(1)).toBe('hsl(120 90% 55%)');
    expect(confidenceColour(0)).toBe('hsl(0 90% 55%)');
  });

  it("never takes another scroll's reading for a segment of the same id", () => {
    expect(readingsMatch({ segment: 'scroll1/20230101' }, 'scroll2/20230101', 'scroll2/20230101/layers')).toBe(false);
    expect(readingsMatch({ segment: 'scroll2/20230101' }, 'scroll2/20230101', 'scroll2/20230101/layers')).toBe(true);
    expect(readingsMatch({ segment: '20230101' }, 'scroll2/20230101', 'x')).toBe(true);
  });
});

describe('shortcuts and units', () => {
  it('maps keys to the same actions everywhere, and leaves typing alone', () => {
    expect(shortcutFor({ key: '3' })).toEqual({ action: 'tab', tab: 'reading' });
    expect(shortcutFor({ key: '?' })).toEqual({ action: 'help' });
    expect(shortcutFor({ key: 's', ctrlKey: true, shiftKey: true })).toEqual({ action: 'screenshot' });
    expect(shortcutFor({ key: '3', target: { tagName: 'TEXTAREA' } })).toBeUndefined();
    expect(shortcutFor({ key: '1', ctrlKey: true })).toBeUndefined();
  });

  it("shows stored bytes in the scan's own units", () => {
    const rec = { window: [7295, 37381] } as Pick<RecordInfo, 'window'>;
    expect(sourceValue(rec, 0)).toBe(7295);
    expect(sourceValue(rec, 255)).toBe(37381);
    expect(sourceValue({}, 17)).toBe(17);
    expect(formatValue({ role: 'observed', record: rec as RecordInfo }, 255)).toBe('37381');
    expect(formatValue({ role: 'ink', record: {} as RecordInfo }, 255)).toBe('1.00');
  });
});

describe('the window histogram', () => {
  it('drags an edge or the whole window and keeps it inside the stored range with hi > lo', () => {
    expect(grabAt([40, 200], 44)).toBe('lo');
    expect(grabAt([40, 200], 195)).toBe('hi');
    expect(grabAt([40, 200], 120)).toBe('both');
    expect(dragWindow([40, 200], 'lo', -10)).toEqual([30, 200]);
    expect(dragWindow([40, 200], 'lo', 500)).toEqual([199, 200]);
    expect(dragWindow([40, 200], 'hi', -500)).toEqual([40, 41]);
    expect(dragWindow([40, 200], 'both', 100)).toEqual([95, 255]);
    expect(dragWindow([40, 200], 'both', -100)).toEqual([0, 160]);
  });
  it('counts the slice and offers presets computed on it', () => {
    const data = new Uint8Array(1000);
    for (let i = 0; i < data.length; i++) data[i] = 50 + (i % 101); // 50..150, evenly
    const hist = histogram256(data);
    expect(hist[49]).toBe(0);
    expect(hist[50]! + hist[150]!).toBeGreaterThan(0);
    expect([...hist].reduce((a, b) => a + b, 0)).toBe(1000);
    expect(presetWindow('minmax', data)).toEqual([50, 150]);
    const tight = presetWindow('tight', data)!;
    const auto = presetWindow('auto', data)!;
    expect(tight[0]).toBeGreaterThan(auto[0]);
    expect(tight[1]).toBeLessThan(auto[1]);
    expect(presetWindow('full')).toEqual([0, 255]);
    expect(presetWindow('auto')).toBeUndefined();
  });
});
