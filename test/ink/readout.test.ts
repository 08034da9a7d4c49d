import { describe, expect, it } from 'vitest';
import { chooseBand } from '../../src/ink/band.js';
import { trainLogistic, predictLogistic } from '../../src/ink/logistic.js';
import { chooseThreshold, evaluateInk } from '../../src/ink/metrics.js';
import { labelledPixels } from '../../src/ink/segment.js';
import { predictReadout, readoutFromJson, readoutToJson, splitLabelled, trainReadout } from '../../src/ink/readout.js';
import { rowPrior, syntheticSegment } from '../../src/ink/synthetic.js';

describe('ink readout on a synthetic segment (faint, noisy letters; labels on the first third)', () => {
  it('picks the layer band where the labels correlate, not a fixed one', () => {
    const { segment } = syntheticSegment({ seed: 3, height: 48, width: 150, inkOffset: 6, inkContrast: 1 });
    const { band, correlation } = chooseBand([segment], { minLayers: 5, maxLayers: 9 });
    const peak = correlation.indexOf(Math.max(...correlation));
    expect(peak).toBe(segment.surface + 6);
    expect(band.from).toBeLessThanOrEqual(peak);
    expect(band.to).toBeGreaterThanOrEqual(peak);
    expect(band.to - band.from + 1).toBeGreaterThanOrEqual(5);
    expect(band.to - band.from + 1).toBeLessThanOrEqual(9);
  });

  it('holds out a stripe at the far end of the labelled region with a fifth of its ink, with a gap, and never an unlabelled pixel', () => {
    const { segment } = syntheticSegment({ seed: 1, height: 20, width: 90 });
    const { train, val } = splitLabelled(segment, 0.2, 3);
    let inkVal = 0;
    let inkAll = 0;
    let cut = 90;
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 90; x++) {
        const i = y * 90 + x;
        if (x >= 30) expect(train[i] + val[i]).toBe(0);
        if (val[i]) cut = Math.min(cut, x);
        const ink = segment.labels![i]! > 127 && x < 30;
        inkAll += ink ? 1 : 0;
        inkVal += ink && val[i] ? 1 : 0;
      }
    expect(inkVal / inkAll).toBeGreaterThanOrEqual(0.18);
    expect(inkVal / inkAll).toBeLessThan(0.3);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 30; x++) {
        const i = y * 90 + x;
        expect(val[i]).toBe(x >= cut ? 1 : 0);
        expect(train[i]).toBe(x < cut - 3 ? 1 : 0);
      }
  });

  it('moves the held-out stripe onto ink when the far end of the labelled region is blank (an intercolumnium)', () => {
    const { segment } = syntheticSegment({ seed: 1, height: 20, width: 90 });
    // No ink in x 20..29: the labelled region ends in a gap between columns.
    for (let y = 0; y < 20; y++) for (let x = 20; x < 30; x++) segment.labels![y * 90 + x] = 0;
    const { val } = splitLabelled(segment, 0.2, 3);
    let inkVal = 0;
    let inkAll = 0;
    for (let i = 0; i < val.length; i++)
      if (segment.labelledMask![i] && segment.labels![i]! > 127) {
        inkAll++;
        if (val[i]) inkVal++;
      }
    expect(inkVal / inkAll).toBeGreaterThanOrEqual(0.18);
  });

  it('learns the ink and beats the positional guess; survives a round trip through JSON', async () => {
    const { segment, truth } = syntheticSegment({ seed: 5, height: 64, width: 240, inkContrast: 0.8 });
    const labelled = segment.labelledMask!;
    const { readout, log } = await trainReadout([segment], {
      maxSteps: 45,
      maxSeconds: 60,
      batch: 6,
      crop: 40,
      evalEvery: 20,
      seed: 2,
    });
    expect(log.steps).toBeGreaterThan(10);
    const prob = await predictReadout(readout, segment);
    const cnn = evaluateInk(prob, truth, labelled);
    const prior = evaluateInk(rowPrior(segment), truth, labelled);
    const logistic = evaluateInk(predictLogistic(trainLogistic([segment]), segment), truth, labelled);
    console.log(
      `synthetic unlabelled F0.5: readout ${cnn.f05.toFixed(3)} (AUC ${cnn.auc.toFixed(3)}, ${log.steps} steps), logistic ${logistic.f05.toFixed(3)}, row prior ${prior.f05.toFixed(3)}`,
    );
    expect(cnn.auc).toBeGreaterThan(prior.auc + 0.02);
    expect(cnn.f05).toBeGreaterThan(prior.f05 + 0.05);
    // Its threshold is the F0.5-best one over every labelled pixel (the held-out stripe alone is too few to choose it),
    // on the network's own probabilities.
    expect(readout.threshold).toBe(chooseThreshold(prob, segment.labels!, labelledPixels(segment)).threshold);
    expect(readout.calibration).toBeUndefined();
    const again = readoutFromJson(JSON.parse(JSON.stringify(readoutToJson(readout))) as Record<string, unknown>);
    const prob2 = await predictReadout(again, segment);
    expect(Array.from(prob2.subarray(0, 500))).toEqual(Array.from(prob.subarray(0, 500)));
    expect(again.threshold).toBe(readout.threshold);
  });

  it('Platt-scales its probabilities on the held-out stripe on request, and keeps the scaling through JSON', async () => {
    const { segment } = syntheticSegment({ seed: 5, height: 64, width: 240, inkContrast: 0.8 });
    const opts = { maxSteps: 20, maxSeconds: 60, batch: 4, crop: 40, evalEvery: 10, seed: 3 };
    const { readout } = await trainReadout([segment], { ...opts, calibrate: true });
    expect(readout.calibration).toBeDefined();
    const scaled = await predictReadout(readout, segment);
    const raw = await predictReadout({ ...readout, calibration: undefined }, segment);
    expect(Array.from(scaled.subarray(0, 200))).not.toEqual(Array.from(raw.subarray(0, 200)));
    const again = readoutFromJson(JSON.parse(JSON.stringify(readoutToJson(readout))) as Record<string, unknown>);
    expect(again.calibration).toEqual(readout.calibration);
  });

  it('an ensemble predicts the mean of its networks (each trained with its own seed) and keeps them through JSON', async () => {
    const { segment, truth } = syntheticSegment({ seed: 8, height: 48, width: 180, inkContrast: 0.8 });
    const { readout, log } = await trainReadout([segment], {
      maxSteps: 20,
      maxSeconds: 60,
      batch: 4,
      crop: 32,
      evalEvery: 10,
      seed: 4,
      ensemble: 3,
    });
    expect(readout.members).toHaveLength(2);
    expect(log.steps).toBeGreaterThan(20); // summed over the three networks
    // different seeds give different networks
    expect(Array.from(readout.members![0]!.tensors[0]!.data.subarray(0, 8))).not.toEqual(
      Array.from(readout.net.tensors[0]!.data.subarray(0, 8)),
    );
    const mean = await predictReadout(readout, segment);
    const singles = await Promise.all(
      [readout.net, ...readout.members!].map((net) => predictReadout({ ...readout, net, members: undefined }, segment)),
    );
    for (const i of [0, 77, 1234, 4321, mean.length - 1])
      expect(mean[i]).toBeCloseTo((singles[0]![i]! + singles[1]![i]! + singles[2]![i]!) / 3, 5);
    expect(evaluateInk(mean, truth, segment.labelledMask!).auc).toBeGreaterThan(0.6);
    const again = readoutFromJson(JSON.parse(JSON.stringify(readoutToJson(readout))) as Record<string, unknown>);
    expect(again.members).toHaveLength(2);
    expect(Array.from((await predictReadout(again, segment)).subarray(0, 300))).toEqual(
      Array.from(mean.subarray(0, 300)),
    );
    const broken = readoutToJson(readout) as { members: { tensors: { data: string }[] }[] };
    broken.members[0]!.tensors.pop();
    expect(() => readoutFromJson(JSON.parse(JSON.stringify(broken)) as Record<string, unknown>, 'bad.json')).toThrow(
      /bad\.json: an ensemble member/,
    );
  });

  it('reads a second "scroll" with other brightness and noise through per-segment normalisation', async () => {
    const a = syntheticSegment({ seed: 6, height: 64, width: 240, inkContrast: 0.9 });
    const b = syntheticSegment({ seed: 7, height: 64, width: 240, inkContrast: 0.9, brightness: 60, noise: 7 });
    const { readout } = await trainReadout([a.segment], {
      maxSteps: 30,
      maxSeconds: 45,
      batch: 6,
      crop: 40,
      evalEvery: 20,
      seed: 3,
    });
    const none = new Uint8Array(b.truth.length);
    const cross = evaluateInk(await predictReadout(readout, b.segment), b.truth, none, {
      threshold: readout.threshold,
    });
    const prior = evaluateInk(rowPrior(a.segment), b.truth, none, { threshold: 0.0001 }); // a's row rates say nothing about b
    console.log(`cross-scroll synthetic F0.5 ${cross.f05.toFixed(3)} AUC ${cross.auc.toFixed(3)}`);
    expect(cross.auc).toBeGreaterThan(0.7);
    expect(cross.f05).toBeGreaterThan(prior.f05);
  });
});
