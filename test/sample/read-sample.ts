// Small readers the sample tests share: TIFF slices/stacks, PNGs, the OBJ mesh, hashes of a whole folder.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { decode } from 'fast-png';

export async function readTiff(
  file: string,
): Promise<{ data: Uint16Array | Uint8Array; width: number; height: number }> {
  const b = await readFile(file);
  const tiff = await fromArrayBuffer(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const img = await tiff.getImage();
  const [band] = (await img.readRasters()) as unknown as Array<Uint16Array | Uint8Array>;
  return { data: band!, width: img.getWidth(), height: img.getHeight() };
}

export async function readStack(dir: string): Promise<{ data: Uint16Array; shape: [number, number, number] }> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tif')).sort();
  const first = await readTiff(path.join(dir, files[0]!));
  const data = new Uint16Array(files.length * first.width * first.height);
  for (const [z, f] of files.entries())
    data.set((await readTiff(path.join(dir, f))).data, z * first.width * first.height);
  return { data, shape: [files.length, first.height, first.width] };
}

export async function readPng(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const png = decode(await readFile(file));
  return { data: png.data as Uint8Array, width: png.width, height: png.height };
}

export interface ObjMesh {
  v: number[][];
  vt: number[][];
  vn: number[][];
  faces: number;
}

export async function readObj(file: string): Promise<ObjMesh> {
  const mesh: ObjMesh = { v: [], vt: [], vn: [], faces: 0 };
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [tag, ...rest] = line.trim().split(/\s+/);
    if (tag === 'v') mesh.v.push(rest.map(Number));
    else if (tag === 'vt') mesh.vt.push(rest.map(Number));
    else if (tag === 'vn') mesh.vn.push(rest.map(Number));
    else if (tag === 'f') mesh.faces++;
  }
  return mesh;
}

/** relative path → sha256 of every file under dir. */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.set(
          path.relative(dir, p),
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}
