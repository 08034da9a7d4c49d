/**
 * WebAssembly SIMD (f32x4) kernels of the training step, run *inside the TensorFlow.js wasm backend's memory* (the
 * module imports the backend's exported `memory`), so they read and write tensors in place: fused norms (a chain of
 * 6–8 tf ops reads and writes the [n, width] activations 6–8 times where one pass does), a blocked transpose, and a
 * GEMM for weight gradients that packs its right operand with plain SIMD copies (XNNPACK's packing inside tf.matMul
 * costs ~2.8 ms per [2048, 256] operand, ours 0.35 ms; the 4×8-tile GEMM then runs at ~25 GFLOP/s, like XNNPACK).
 *
 * The module is assembled here from a few opcodes (no toolchain needed); every function takes byte offsets into the
 * heap and sizes as i32 and returns nothing.
 *
 *   const k = simdKernelsFor(memory);                                     // memory: the backend's WebAssembly.Memory
 *   k.residualRmsNorm(hPrev, a, hOut, yOut, rOut, n, w);                  // hOut = hPrev + a; y = hOut·rsqrt(mean(hOut²)+eps)
 *   k.rmsNormBackwardRelu(h, r, dy, dh, aBelow, dhOut, dpreOut, n, w);    // dh + ∂y/∂h·dy, and that masked by aBelow > 0
 *   k.packB(b, packed, K, N); k.gemm(a, packed, c, M, K, N, 32, K * 32);  // c = a·b
 */

// ---------------------------------------------------------------- a tiny wasm assembler

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const f32 = (v: number): number[] => Array.from(new Uint8Array(Float32Array.of(v).buffer));
const vec = (items: number[]): number[] => [...uleb(items.length), ...items];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => vec([...Buffer.from(s, 'utf8')]);

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
/** Instructions used below. Locals are addressed by index. */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32: (v: number) => [0x43, ...f32(v)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32LtU: [0x49],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32ConvertI32U: [0xb3],
  f32Load: [0x2a, 0x02, 0x00],
  f32Store: [0x38, 0x02, 0x00],
  v128Load: [0xfd, ...uleb(0x00), 0x04, 0x00],
  v128LoadAt: (offset: number) => [0xfd, ...uleb(0x00), 0x04, ...uleb(offset)],
  v128StoreAt: (offset: number) => [0xfd, ...uleb(0x0b), 0x04, ...uleb(offset)],
  v128Store: [0xfd, ...uleb(0x0b), 0x04, 0x00],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  /** i8x16.shuffle of two vectors, lanes given as f32 lane indices 0–7 (0–3: first, 4–7: second). */
  shuffle32: (lanes: number[]) => [
    0xfd,
    ...uleb(0x0d),
    ...lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]),
  ],
  f32x4Lane: (l: number) => [0xfd, ...uleb(0x1f), l],
  f32x4Gt: [0xfd, ...uleb(0x44)],
  v128And: [0xfd, ...uleb(0x4e)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
};
const END = 0x0b;

/** `for (i = from; i < to; i += step) body` over i32 local i (to, step: instruction lists). */
function loop(i: number, from: number[], to: number[], step: number[], body: number[]): number[] {
  return [
    ...from,
    ...op.set(i),
    0x02,
    0x40, // block
    ...op.get(i),
    ...to,
    ...op.i32LtU,
    0x45 /* i32.eqz */,
    0x0d,
    0x00, // br_if 0 (skip when empty)
    0x03,
    0x40, // loop
    ...body,
    ...op.get(i),
    ...step,
    ...op.i32Add,
    ...op.tee(i),
    ...to,
    ...op.i32LtU,
    0x0d,
    0x00, // br_if loop
    END,
    END,
  ];
}

interface Fn {
  name: string;
  params: number;
  locals: [count: number, type: number][];
  body: number[];
}

function assemble(fns: Fn[]): Uint8Array<ArrayBuffer> {
  const typeSec = section(1, [
    ...uleb(fns.length),
    ...fns.flatMap((f) => [0x60, ...vec(new Array(f.params).fill(I32)), ...uleb(0)]),
  ]);
  const importSec = section(2, [...uleb(1), ...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]);
  const funcSec = section(3, [...uleb(fns.length), ...fns.flatMap((_, i) => uleb(i))]);
  const exportSec = section(7, [...uleb(fns.length), ...fns.flatMap((f, i) => [...str(f.name), 0x00, ...uleb(i)])]);
  const codeSec = section(10, [
    ...uleb(fns.length),
    ...fns.flatMap((f) => {
      const body = [...uleb(f.locals.length), ...f.locals.flatMap(([c, t]) => [...uleb(c), t]), ...f.body, END];
      return [...uleb(body.length), ...body];
    }),
  ]);
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...typeSec,
    ...importSec,
    ...funcSec,
    ...exportSec,
    ...codeSec,
  ]);
}

// ---------------------------------------------------------------- the kernels

/** Horizontal sum of the f32x4 in local v, left on the stack as f32. */
const hsum = (v: number) => [
  ...op.get(v),
  ...op.f32x4Lane(0),
  ...op.get(v),
  ...op.f32x4Lane(1),
  ...op.f32Add,
  ...op.get(v),
  ...op.f32x4Lane(2),
  ...op.get(v),
  ...op.f32x4Lane(3),
  ...op.f32Add,
  ...op.f32Add,
];
/** v128.load from local base + local off. */
const ld = (base: number, off: number) => [...op.get(base), ...op.get(off), ...op.i32Add, ...op.v128Load];

function residualRmsNormFn(): Fn {
  // params: 0 hPrev, 1 a, 2 hOut, 3 yOut, 4 rOut, 5 n, 6 w, 7 epsBits(unused: eps is f32 const below via reinterpret)
  // locals: 8 i (row), 9 k (byte offset within the row), 10 rowBytes, 11 base (row byte offset), 12 v128 acc, 13 v128 v, 14 f32 r
  const [hPrev, a, hOut, yOut, rOut, n, w] = [0, 1, 2, 3, 4, 5, 6];
  const [i, k, rowBytes, base, acc, v, r] = [8, 9, 10, 11, 12, 13, 14];
  const eps = 1e-6;
  const rowAddr = (p: number) => [...op.get(p), ...op.get(base), ...op.i32Add, ...op.get(k), ...op.i32Add];
  return {
    name: 'residualRmsNorm',
    params: 8,
    locals: [
      [4, I32],
      [2, V128],
      [1, F32],
    ],
    body: [
      ...op.get(w),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(rowBytes),
      ...loop(i, op.i32(0), op.get(n), op.i32(1), [
        ...op.get(i),
        ...op.get(rowBytes),
        ...op.i32Mul,
        ...op.set(base),
        ...op.f32(0),
        ...op.f32x4Splat,
        ...op.set(acc),
        ...loop(k, op.i32(0), op.get(rowBytes), op.i32(16), [
          // v = hPrev + a; hOut = v; acc += v·v
          ...rowAddr(hOut),
          ...rowAddr(hPrev),
          ...op.v128Load,
          ...rowAddr(a),
          ...op.v128Load,
          ...op.f32x4Add,
          ...op.tee(v),
          ...op.v128Store,
          ...op.get(acc),
          ...op.get(v),
          ...op.get(v),
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...op.set(acc),
        ]),
        // r = 1 / sqrt(Σ/w + eps)
        ...op.f32(1),
        ...hsum(acc),
        ...op.get(w),
        ...op.f32ConvertI32U,
        ...op.f32Div,
        ...op.f32(eps),
        ...op.f32Add,
        ...op.f32Sqrt,
        ...op.f32Div,
        ...op.set(r),
        ...op.get(rOut),
        ...op.get(i),
        ...op.i32(2),
        ...op.i32Shl,
        ...op.i32Add,
        ...op.get(r),
        ...op.f32Store,
        ...op.get(r),
        ...op.f32x4Splat,
        ...op.set(acc),
        ...loop(k, op.i32(0), op.get(rowBytes), op.i32(16), [
          ...rowAddr(yOut),
          ...rowAddr(hOut),
          ...op.v128Load,
          ...op.get(acc),
          ...op.f32x4Mul,
          ...op.v128Store,
        ]),
      ]),
    ],
  };
}

function rmsNormBackwardReluFn(): Fn {
  // params: 0 h, 1 r, 2 dy, 3 dh, 4 aBelow, 5 dhOut, 6 dpreOut, 7 n, 8 w
  // locals: 9 i, 10 k, 11 rowBytes, 12 base, 13 v128 acc / coef, 14 v128 vr, 15 v128 g, 16 v128 one, 17 v128 zero, 18 f32 ri
  const [h, r, dy, dh, aBelow, dhOut, dpreOut, n, w] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, k, rowBytes, base, acc, vr, g, one, zero, ri] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const rowAddr = (p: number) => [...op.get(p), ...op.get(base), ...op.i32Add, ...op.get(k), ...op.i32Add];
  return {
    name: 'rmsNormBackwardRelu',
    params: 9,
    locals: [
      [4, I32],
      [5, V128],
      [1, F32],
    ],
    body: [
      ...op.get(w),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(rowBytes),
      ...op.f32(1),
      ...op.f32x4Splat,
      ...op.set(one),
      ...op.f32(0),
      ...op.f32x4Splat,
      ...op.set(zero),
      ...loop(i, op.i32(0), op.get(n), op.i32(1), [
        ...op.get(i),
        ...op.get(rowBytes),
        ...op.i32Mul,
        ...op.set(base),
        ...op.get(zero),
        ...op.set(acc),
        ...loop(k, op.i32(0), op.get(rowBytes), op.i32(16), [
          ...op.get(acc),
          ...rowAddr(dy),
          ...op.v128Load,
          ...rowAddr(h),
          ...op.v128Load,
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...op.set(acc),
        ]),
        // coef = r³·Σ(dy·h)/w
        ...op.get(r),
        ...op.get(i),
        ...op.i32(2),
        ...op.i32Shl,
        ...op.i32Add,
        ...op.f32Load,
        ...op.set(ri),
        ...op.get(ri),
        ...op.get(ri),
        ...op.f32Mul,
        ...op.get(ri),
        ...op.f32Mul,
        ...hsum(acc),
        ...op.f32Mul,
        ...op.get(w),
        ...op.f32ConvertI32U,
        ...op.f32Div,
        ...op.f32x4Splat,
        ...op.set(acc),
        ...op.get(ri),
        ...op.f32x4Splat,
        ...op.set(vr),
        ...loop(k, op.i32(0), op.get(rowBytes), op.i32(16), [
          // g = dh + r·dy − h·coef
          ...rowAddr(dh),
          ...op.v128Load,
          ...op.get(vr),
          ...rowAddr(dy),
          ...op.v128Load,
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...rowAddr(h),
          ...op.v128Load,
          ...op.get(acc),
          ...op.f32x4Mul,
          ...op.f32x4Sub,
          ...op.set(g),
          ...rowAddr(dhOut),
          ...op.get(g),
          ...op.v128Store,
          // dpre = g · step(aBelow): a multiply (not a mask), as tf.mul(dh, tf.step(a)) does
          ...rowAddr(dpreOut),
          ...op.get(g),
          ...rowAddr(aBelow),
          ...op.v128Load,
          ...op.get(zero),
          ...op.f32x4Gt,
          ...op.get(one),
          ...op.v128And,
          ...op.f32x4Mul,
          ...op.v128Store,
        ]),
      ]),
    ],
  };
}

function transposeFn(): Fn {
  // params: 0 src [n, w], 1 dst [w, n], 2 n, 3 w (both multiples of 4)
  // locals: 4 k (column), 5 i (row), 6 srcRow (bytes of a src row = w·4), 7 dstRow (n·4), 8 s (src address), 9 d (dst address),
  // 10–13 v128 r0..r3, 14–15 v128 t0, t1 (and reused)
  const [src, dst, n, w] = [0, 1, 2, 3];
  const [k, i, srcRow, dstRow, sa, da] = [4, 5, 6, 7, 8, 9];
  const [r0, r1, r2, r3, t0, t1] = [10, 11, 12, 13, 14, 15];
  const rows = [r0, r1, r2, r3];
  // Columns outer, rows inner: every store continues one of four dst rows (no 4K-aliasing thrash of strided stores).
  return {
    name: 'transpose',
    params: 4,
    locals: [
      [6, I32],
      [6, V128],
    ],
    body: [
      ...op.get(w),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(srcRow),
      ...op.get(n),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(dstRow),
      ...loop(k, op.i32(0), op.get(w), op.i32(4), [
        ...loop(i, op.i32(0), op.get(n), op.i32(4), [
          // s = src + (i·w + k)·4; r_q = row i+q, columns k..k+3
          ...op.get(src),
          ...op.get(i),
          ...op.get(srcRow),
          ...op.i32Mul,
          ...op.i32Add,
          ...op.get(k),
          ...op.i32(2),
          ...op.i32Shl,
          ...op.i32Add,
          ...op.set(sa),
          ...rows.flatMap((rq, q) => [
            ...op.get(sa),
            ...(q > 0 ? [...op.get(srcRow), ...op.i32(q), ...op.i32Mul, ...op.i32Add] : []),
            ...op.v128Load,
            ...op.set(rq),
          ]),
          // d = dst + (k·n + i)·4; dst row k+q gets column q of the 4×4 block
          ...op.get(dst),
          ...op.get(k),
          ...op.get(dstRow),
          ...op.i32Mul,
          ...op.i32Add,
          ...op.get(i),
          ...op.i32(2),
          ...op.i32Shl,
          ...op.i32Add,
          ...op.set(da),
          // t0 = [r0₀ r1₀ r0₁ r1₁], t1 = [r2₀ r3₀ r2₁ r3₁] → columns 0 and 1
          ...op.get(r0),
          ...op.get(r1),
          ...op.shuffle32([0, 4, 1, 5]),
          ...op.set(t0),
          ...op.get(r2),
          ...op.get(r3),
          ...op.shuffle32([0, 4, 1, 5]),
          ...op.set(t1),
          ...op.get(da),
          ...op.get(t0),
          ...op.get(t1),
          ...op.shuffle32([0, 1, 4, 5]),
          ...op.v128Store,
          ...op.get(da),
          ...op.get(dstRow),
          ...op.i32Add,
          ...op.get(t0),
          ...op.get(t1),
          ...op.shuffle32([2, 3, 6, 7]),
          ...op.v128Store,
          // columns 2 and 3
          ...op.get(r0),
          ...op.get(r1),
          ...op.shuffle32([2, 6, 3, 7]),
          ...op.set(t0),
          ...op.get(r2),
          ...op.get(r3),
          ...op.shuffle32([2, 6, 3, 7]),
          ...op.set(t1),
          ...op.get(da),
          ...op.get(dstRow),
          ...op.i32(2),
          ...op.i32Mul,
          ...op.i32Add,
          ...op.get(t0),
          ...op.get(t1),
          ...op.shuffle32([0, 1, 4, 5]),
          ...op.v128Store,
          ...op.get(da),
          ...op.get(dstRow),
          ...op.i32(3),
          ...op.i32Mul,
          ...op.i32Add,
          ...op.get(t0),
          ...op.get(t1),
          ...op.shuffle32([2, 3, 6, 7]),
          ...op.v128Store,
        ]),
      ]),
    ],
  };
}

/**
 * C[M, N] = A[M, K]·B[K, N] (row-major; M % 4 = 0, N % 8 = 0) in 4×8 register tiles, reading B as it is: XNNPACK
 * (tf.matMul) first packs B, ~3 ms for a [2048, 256] B, which every weight gradient (B = the layer's output gradient)
 * pays. Also: colSums(B) → out[N] (the bias gradient).
 */
function gemmFn(): Fn {
  // params: 0 a, 1 b, 2 c, 3 M, 4 K, 5 N, 6 bRowStep (bytes from B[k] to B[k+1] of a block), 7 bBlockStep (bytes
  // between blocks of 8 columns): N·4 and 32 for a row-major B, 32 and K·32 for one packed by packB.
  // locals: 8 i, 9 j (bytes), 10 p0 (A row i+0 pointer), 11 bp, 12 aRow, 13 aStride (K·4), 14 bStride (N·4), 15 pEnd,
  // 16–23 v128 acc[q][h] (row q, half h), 24 b0, 25 b1, 26 s, 27 aS2, 28 aS3
  const [a, b, c, M, K] = [0, 1, 2, 3, 4];
  const [N, bRowStep, bBlockStep] = [5, 6, 7];
  const [i, j, p0, bp, aRow, aStride, bStride, pEnd] = [8, 9, 10, 11, 12, 13, 14, 15];
  const acc = (q: number, h: number) => 16 + q * 2 + h;
  const [b0, b1, sv] = [24, 25, 26];
  const [aS2, aS3] = [27, 28];
  const quads = [0, 1, 2, 3];
  const rowOffset = [[], op.get(aStride), op.get(aS2), op.get(aS3)];
  return {
    name: 'gemm',
    params: 8,
    locals: [
      [8, I32],
      [11, V128],
      [2, I32],
    ],
    body: [
      ...op.get(K),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(aStride),
      ...op.get(aStride),
      ...op.i32(1),
      ...op.i32Shl,
      ...op.set(aS2),
      ...op.get(aStride),
      ...op.get(aS2),
      ...op.i32Add,
      ...op.set(aS3),
      ...op.get(N),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(bStride),
      ...loop(i, op.i32(0), op.get(M), op.i32(4), [
        ...op.get(a),
        ...op.get(i),
        ...op.get(aStride),
        ...op.i32Mul,
        ...op.i32Add,
        ...op.set(aRow),
        ...loop(j, op.i32(0), op.get(bStride), op.i32(32), [
          ...quads.flatMap((q) => [
            ...op.f32(0),
            ...op.f32x4Splat,
            ...op.set(acc(q, 0)),
            ...op.f32(0),
            ...op.f32x4Splat,
            ...op.set(acc(q, 1)),
          ]),
          ...op.get(b),
          ...op.get(j),
          ...op.i32(5),
          0x76 /* i32.shr_u */,
          ...op.get(bBlockStep),
          ...op.i32Mul,
          ...op.i32Add,
          ...op.set(bp),
          ...op.get(aRow),
          ...op.get(aStride),
          ...op.i32Add,
          ...op.set(pEnd),
          ...loop(p0, op.get(aRow), op.get(pEnd), op.i32(4), [
            ...op.get(bp),
            ...op.v128LoadAt(0),
            ...op.set(b0),
            ...op.get(bp),
            ...op.v128LoadAt(16),
            ...op.set(b1),
            ...quads.flatMap((q) => [
              // s = splat(A[i+q][k])
              ...op.get(p0),
              ...(q > 0 ? [...rowOffset[q], ...op.i32Add] : []),
              ...op.f32Load,
              ...op.f32x4Splat,
              ...op.set(sv),
              ...op.get(acc(q, 0)),
              ...op.get(sv),
              ...op.get(b0),
              ...op.f32x4Mul,
              ...op.f32x4Add,
              ...op.set(acc(q, 0)),
              ...op.get(acc(q, 1)),
              ...op.get(sv),
              ...op.get(b1),
              ...op.f32x4Mul,
              ...op.f32x4Add,
              ...op.set(acc(q, 1)),
            ]),
            ...op.get(bp),
            ...op.get(bRowStep),
            ...op.i32Add,
            ...op.set(bp),
          ]),
          // C[i+q][j..j+7]
          ...quads.flatMap((q) => [
            ...op.get(c),
            ...op.get(i),
            ...op.i32(q),
            ...op.i32Add,
            ...op.get(bStride),
            ...op.i32Mul,
            ...op.i32Add,
            ...op.get(j),
            ...op.i32Add,
            ...op.tee(bp),
            ...op.get(acc(q, 0)),
            ...op.v128StoreAt(0),
            ...op.get(bp),
            ...op.get(acc(q, 1)),
            ...op.v128StoreAt(16),
          ]),
        ]),
      ]),
    ],
  };
}

/** dst = B [K, N] in blocks of 8 columns, each block's rows contiguous (what gemm reads fastest); N % 8 = 0. */
function packBFn(): Fn {
  // params: 0 b, 1 dst, 2 K, 3 N; locals: 4 j (bytes into a B row), 5 k, 6 src, 7 d, 8 rowBytes
  const [b, dst, K, N] = [0, 1, 2, 3];
  const [j, k, src, d, rowBytes] = [4, 5, 6, 7, 8];
  return {
    name: 'packB',
    params: 4,
    locals: [[5, I32]],
    body: [
      ...op.get(N),
      ...op.i32(2),
      ...op.i32Shl,
      ...op.set(rowBytes),
      ...op.get(dst),
      ...op.set(d),
      ...loop(j, op.i32(0), op.get(rowBytes), op.i32(32), [
        ...op.get(b),
        ...op.get(j),
        ...op.i32Add,
        ...op.set(src),
        ...loop(k, op.i32(0), op.get(K), op.i32(1), [
          ...op.get(d),
          ...op.get(src),
          ...op.v128LoadAt(0),
          ...op.v128StoreAt(0),
          ...op.get(d),
          ...op.get(src),
          ...op.v128LoadAt(16),
          ...op.v128StoreAt(16),
          ...op.get(src),
          ...op.get(rowBytes),
          ...op.i32Add,
          ...op.set(src),
          ...op.get(d),
          ...op.i32(32),
          ...op.i32Add,
          ...op.set(d),
        ]),
      ]),
    ],
  };
}

export interface SimdKernels {
  residualRmsNorm(hPrev: number, a: number, hOut: number, yOut: number, rOut: number, n: number, w: number): void;
  rmsNormBackwardRelu(
    h: number,
    r: number,
    dy: number,
    dh: number,
    aBelow: number,
    dhOut: number,
    dpreOut: number,
    n: number,
    w: number,
  ): void;
  /** dst [w, n] = srcᵀ for src [n, w]; n and w multiples of 4. */
  transpose(src: number, dst: number, n: number, w: number): void;
  /** c [M, N] = a [M, K]·b [K, N]; M % 4 = 0, N % 8 = 0. */
  gemm(a: number, b: number, c: number, M: number, K: number, N: number, bRowStep: number, bBlockStep: number): void;
  packB(b: number, dst: number, K: number, N: number): void;
}

let module: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The kernels bound to a wasm heap (the tfjs wasm backend's exported memory). */
export function simdKernelsFor(memory: WebAssembly.Memory): SimdKernels {
  let k = instances.get(memory);
  if (!k) {
    module ??= new WebAssembly.Module(
      assemble([
        residualRmsNormFn(),
        rmsNormBackwardReluFn(),
        transposeFn(),
        gemmFn(),
        packBFn(),
      ]) as Uint8Array<ArrayBuffer>,
    );
    const exp = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as {
      residualRmsNorm: (...a: number[]) => void;
      rmsNormBackwardRelu: (...a: number[]) => void;
      transpose: (...a: number[]) => void;
      gemm: (...a: number[]) => void;
      packB: (...a: number[]) => void;
    };
    k = {
      residualRmsNorm: (hPrev, a, hOut, yOut, rOut, n, w) => exp.residualRmsNorm(hPrev, a, hOut, yOut, rOut, n, w, 0),
      rmsNormBackwardRelu: (...args) => exp.rmsNormBackwardRelu(...args),
      transpose: (...args) => exp.transpose(...args),
      gemm: (...args) => exp.gemm(...args),
      packB: (...args) => exp.packB(...args),
    };
    instances.set(memory, k);
  }
  return k;
}
